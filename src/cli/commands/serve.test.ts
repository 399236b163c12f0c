/** `mixmodal serve`: flags, the missing-model message, and a real process that drains and exits 0 on SIGTERM. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODEL_CONFIG_DIR, validateModelConfig } from '../../model/config.js';
import { saveModelFolder } from '../../train/model-folder.js';
import { randomModelParams } from '../../model/inference-graphs.js';
import { tinyModel } from '../../serve/testing.js';
import { main } from '../main.js';
import { configFromFlags, resolveModelDir } from './serve.js';

const tmp = mkdtempSync(join(tmpdir(), 'mixmodal-serve-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('mixmodal serve', () => {
  it('maps flags (and REDIS_URL) onto ServeConfig', () => {
    const c = configFromFlags({ port: '0', 'max-batch': '1', 'max-queue-delay-us': '500', 'max-hold-steps': '0', 'queue-size': '7', workers: '2', 'expert-shards': 'a:1, b:2', experiments: 'x.json', 'no-cache': true }, {});
    expect(c).toMatchObject({ port: 0, workers: 2, expertShards: ['a:1', 'b:2'], experimentsFile: 'x.json' });
    expect(c.batching).toMatchObject({ maxBatch: 1, maxQueueDelayUs: 500, maxHoldSteps: 0, queueSize: 7 });
    expect(c.cache.enabled).toBe(false);
    expect(configFromFlags({}, { REDIS_URL: 'redis://127.0.0.1:6390' }).cache.redisUrl).toBe('redis://127.0.0.1:6390');
    expect(() => configFromFlags({ 'max-batch': 'many' }, {})).toThrow(/--max-batch must be an integer/);
  });

  it('without --model and without the demo model, says how to get one', () => {
    expect(() => resolveModelDir(undefined, tmp, [tmp])).toThrow(/npm run train:demo.*--model DIR/s);
    expect(resolveModelDir(undefined, tmp)).toMatch(/models\/mm-small-synth$/); // the bundled demo model
    expect(resolveModelDir('some/dir', '/x')).toBe(resolve('/x/some/dir'));
  });

  it('--help lists the flags', async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (s: string) => lines.push(s);
    try {
      expect(await main(['serve', '--help'])).toBe(0);
    } finally {
      console.log = log;
    }
    for (const flag of ['--model', '--host', '--port', '--redis', '--max-batch', '--max-queue-delay-us', '--queue-size', '--workers', '--expert-shards', '--experiments']) expect(lines.join('\n')).toContain(flag);
  });

  it('serves a model folder and exits 0 after draining on SIGTERM', async () => {
    const { tokenizer } = await tinyModel();
    const raw = JSON.parse(readFileSync(join(MODEL_CONFIG_DIR, 'mm-tiny.json'), 'utf8')) as { fusion: { moe: Record<string, unknown> } };
    raw.fusion.moe.capacityFactorEval = 0;
    const dir = join(tmp, 'model');
    await saveModelFolder(dir, { cfg: raw, params: randomModelParams(validateModelConfig(raw), 1), tokenizer });

    const child = spawn(process.execPath, [resolve('bin/mixmodal.js'), 'serve', '--model', dir, '--port', '0', '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const url = await new Promise<string>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no listening line in 30 s: ${out} ${err}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          ok(m[1]!);
        }
      });
      child.once('exit', (code) => fail(new Error(`exited ${code}: ${out} ${err}`)));
    });
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mm-tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, temperature: 0 }),
    });
    expect(res.status).toBe(200);
    const exit = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
    process.kill(child.pid!, 'SIGTERM');
    expect(await exit).toBe(0);
    expect(out).toContain('SIGTERM: draining');
    expect(out).toContain('drained, bye');
  });
});
