import { describe, expect, it } from 'vitest';
import { RequestQueue, type BatchPolicy } from './request-queue.js';
import type { WorkItem } from './work-item.js';

let nextId = 1;
function item(key: string, enqueuedAt: number, priority = 0): WorkItem {
  return { id: nextId++, kind: 'embed', input: { signature: ['text'] }, signature: ['text'], key, priority, enqueuedAt, deadline: Infinity, settled: false, resolve: () => {}, reject: () => {} };
}
const policy = (o: Partial<BatchPolicy> = {}): BatchPolicy => ({ maxBatch: 4, preferredBatchSizes: [], maxQueueDelayMs: 2, ...o });
const all = () => 1e9;

describe('RequestQueue (dynamic batching policy)', () => {
  it('waits for the queue delay, then runs what it has; a full batch runs at once', () => {
    const q = new RequestQueue(3);
    q.push(item('a', 0));
    q.push(item('a', 0.5));
    expect(q.pick(1, policy(), all)).toBeNull();
    expect(q.msUntilDue(1, 2)).toBeCloseTo(1);
    expect(q.pick(2, policy(), all)!.length).toBe(2);
    for (let i = 0; i < 6; i++) q.push(item('a', 10));
    expect(q.pick(10, policy(), all)!.length).toBe(4); // maxBatch
    expect(q.size).toBe(2);
    expect(q.pick(10, policy(), all, true)!.length).toBe(2); // flush (draining) ignores the delay
  });

  it('groups by key: requests of different signatures never share a batch', () => {
    const q = new RequestQueue(1);
    q.push(item('embed|text', 0));
    q.push(item('embed|image', 0.1));
    q.push(item('embed|text', 0.2));
    const b1 = q.pick(5, policy(), all)!;
    expect(b1.map((i) => i.key)).toEqual(['embed|text', 'embed|text']);
    expect(q.pick(5, policy(), all)!.map((i) => i.key)).toEqual(['embed|image']);
  });

  it('runs a preferred batch size as soon as it is reachable', () => {
    const q = new RequestQueue(1);
    for (let i = 0; i < 3; i++) q.push(item('a', 0));
    expect(q.pick(0.1, policy({ preferredBatchSizes: [2] }), all)!.length).toBe(2);
    expect(q.pick(0.1, policy({ preferredBatchSizes: [2] }), all)).toBeNull();
  });

  it('higher priority first, within a group and across groups', () => {
    const q = new RequestQueue(3);
    const low = item('a', 0, 0);
    const high = item('a', 1, 2);
    q.push(low);
    q.push(high);
    q.push(item('b', 0.5, 1));
    expect(q.pick(10, policy({ maxBatch: 1 }), all)).toEqual([high]);
    expect(q.pick(10, policy({ maxBatch: 1 }), all)![0]!.key).toBe('b');
    expect(q.pick(10, policy({ maxBatch: 1 }), all)).toEqual([low]);
  });

  it('honours a per-group limit and sweeps dead items', () => {
    const q = new RequestQueue(1);
    const items = [item('route|x', 0), item('route|x', 0), item('route|x', 0)];
    items.forEach((i) => q.push(i));
    expect(q.pick(10, policy(), (k) => (k.startsWith('route|') ? 1 : 4))!.length).toBe(1);
    items[1]!.settled = true;
    expect(q.sweep((i) => i.settled)).toEqual([items[1]]);
    expect(q.size).toBe(1);
    expect(q.pick(10, policy(), () => 0)).toBeNull();
  });
});
