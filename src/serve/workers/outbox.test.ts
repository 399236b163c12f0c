import { describe, expect, it } from 'vitest';
import { Outbox } from './outbox.js';

describe('Outbox', () => {
  it('sends as one batch, in order, what requests settled together send', async () => {
    const posted: number[][] = [];
    const box = new Outbox<number>((b) => posted.push(b));
    // As the engine settles a decode step's finished requests: resolved together, each reply sent from its own callback.
    const settled = [1, 2, 3].map((v) => {
      let resolve!: (v: number) => void;
      const p = new Promise<number>((r) => (resolve = r)).then((x) => box.send(x));
      return { resolve: () => resolve(v), p };
    });
    settled.forEach((s) => s.resolve());
    expect(posted).toEqual([]);
    await Promise.all(settled.map((s) => s.p));
    await new Promise((r) => setImmediate(r));
    expect(posted).toEqual([[1, 2, 3]]);
    box.send(4);
    await new Promise((r) => setImmediate(r));
    expect(posted).toEqual([[1, 2, 3], [4]]);
  });

  it('with setImmediate, batches a whole event-loop turn; flush posts at once', async () => {
    const posted: string[][] = [];
    const box = new Outbox<string>((b) => posted.push(b), setImmediate);
    box.send('a');
    await Promise.resolve();
    box.send('b');
    expect(posted).toEqual([]);
    box.flush();
    expect(posted).toEqual([['a', 'b']]);
    box.flush();
    await new Promise((r) => setImmediate(r));
    expect(posted).toEqual([['a', 'b']]); // nothing pending: no empty batch
  });
});
