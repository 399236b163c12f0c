import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostTensor } from '../graph/host-tensor.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from './safetensors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mixmodal-safetensors-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** One tensor of every dtype; 16- and 8-bit floats are raw bit patterns. */
function everyDType(): Record<string, HostTensor> {
  return {
    f32: { dtype: 'float32', shape: [2, 3], data: new Float32Array([1, -2.5, 3e-8, Infinity, -0, 6]) },
    f32_empty: { dtype: 'float32', shape: [0, 3], data: new Float32Array(0) },
    f64_scalar: { dtype: 'float64', shape: [], data: new Float64Array([Math.PI]) },
    f16: { dtype: 'float16', shape: [3], data: new Uint16Array([0x3c00, 0xc000, 0x7e01]) },
    bf16: { dtype: 'bfloat16', shape: [2, 1], data: new Uint16Array([0x3f80, 0xffff]) },
    i64: { dtype: 'int64', shape: [3], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 42n]) },
    i32: { dtype: 'int32', shape: [2], data: new Int32Array([-1, 2 ** 31 - 1]) },
    i8: { dtype: 'int8', shape: [2], data: new Int8Array([-128, 127]) },
    u8: { dtype: 'uint8', shape: [1, 2], data: new Uint8Array([0, 255]) },
    flag: { dtype: 'bool', shape: [3], data: new Uint8Array([0, 1, 1]) },
    e4m3: { dtype: 'float8e4m3fn', shape: [2], data: new Uint8Array([0x7f, 0x80]) },
    e5m2: { dtype: 'float8e5m2', shape: [1, 1, 2], data: new Uint8Array([0x7c, 0x01]) },
  };
}

const rawBytes = (t: HostTensor): number[] => [...new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)];

function expectSameTensors(actual: Record<string, HostTensor>, expected: Record<string, HostTensor>): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, t] of Object.entries(expected)) {
    const a = actual[name]!;
    expect(a.dtype, name).toBe(t.dtype);
    expect(a.shape, name).toEqual(t.shape);
    expect(a.data.constructor, name).toBe(t.data.constructor);
    expect(a.data.byteOffset % a.data.BYTES_PER_ELEMENT, name).toBe(0);
    expect(rawBytes(a), name).toEqual(rawBytes(t)); // bit-exact, NaN payloads and -0 included
  }
}

/** A file built by hand from a header (object or raw text) and data bytes, following the spec. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerLen?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLen ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

describe('encodeSafetensors / decodeSafetensors', () => {
  it('round-trips every dtype, a scalar and an empty tensor', () => {
    const tensors = everyDType();
    const bytes = encodeSafetensors(tensors, { format: 'pt', step: '12' });
    const decoded = decodeSafetensors(bytes, 'mem');
    expectSameTensors(decoded.tensors, tensors);
    expect(decoded.metadata).toEqual({ format: 'pt', step: '12' });
  });

  it('pads the header so the data section starts at a multiple of 8', () => {
    for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh']) {
      const bytes = encodeSafetensors({ [name]: { dtype: 'int64', shape: [1], data: new BigInt64Array([7n]) } });
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect((8 + n) % 8).toBe(0);
      expect(bytes.length).toBe(8 + n + 8);
    }
  });

  it('writes exactly the bytes the spec prescribes', () => {
    const bytes = encodeSafetensors(
      { a: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) } },
      { format: 'pt' },
    );
    // 85 characters of JSON, padded with 3 spaces to 88 so the data starts at 8 + 88 = 96.
    const json = '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(json.length).toBe(85);
    expect([...bytes.subarray(0, 8)]).toEqual([88, 0, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(bytes.subarray(8, 96))).toBe(`${json}   `);
    // 1.0f = 0x3f800000, 2.0f = 0x40000000, little-endian.
    expect([...bytes.subarray(96)]).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40]);
    expect(bytes.length).toBe(104);
  });

  it('writes tensors contiguously in sorted-name order and omits __metadata__ when not given', () => {
    const one = (v: number): HostTensor => ({ dtype: 'int32', shape: [1], data: new Int32Array([v]) });
    const bytes = encodeSafetensors({ zeta: one(3), alpha: one(1), mid: one(2) });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
    expect(Object.keys(header)).toEqual(['alpha', 'mid', 'zeta']);
    expect(header.alpha).toEqual({ dtype: 'I32', shape: [1], data_offsets: [0, 4] });
    expect(header.mid).toEqual({ dtype: 'I32', shape: [1], data_offsets: [4, 8] });
    expect(header.zeta).toEqual({ dtype: 'I32', shape: [1], data_offsets: [8, 12] });
    expect([...new Int32Array(bytes.slice(8 + n).buffer)]).toEqual([1, 2, 3]);
    expect(decodeSafetensors(bytes).metadata).toEqual({});
  });

  it('returns aligned copies when the input bytes are misaligned', () => {
    const tensors = everyDType();
    const bytes = encodeSafetensors(tensors);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expectSameTensors(decodeSafetensors(shifted.subarray(1)).tensors, tensors);
  });

  it('keeps a tensor named "__proto__" as an ordinary entry', () => {
    const t: HostTensor = { dtype: 'uint8', shape: [1], data: new Uint8Array([9]) };
    const tensors = Object.fromEntries([['__proto__', t]]) as Record<string, HostTensor>;
    const decoded = decodeSafetensors(encodeSafetensors(tensors));
    expect(Object.keys(decoded.tensors)).toEqual(['__proto__']);
    expectSameTensors(decoded.tensors, tensors);
  });

  it('rejects tensors whose data length does not match the shape', () => {
    const bad: HostTensor = { dtype: 'float32', shape: [3], data: new Float32Array(2) };
    expect(() => encodeSafetensors({ w: bad })).toThrow(/tensor "w": float32 \[3\] needs 12 bytes but data has 8/);
    const wrongType = { dtype: 'float32', shape: [1], data: new Int32Array(1) } as unknown as HostTensor;
    expect(() => encodeSafetensors({ w: wrongType })).toThrow(/tensor "w": float32 data must be a Float32Array, got Int32Array/);
  });
});

describe('decodeSafetensors validation', () => {
  const ok8 = new Uint8Array(8);
  const cases: [string, Uint8Array, RegExp][] = [
    ['a file shorter than 8 bytes', new Uint8Array(5), /bad\.st: file is 5 bytes, shorter than the 8-byte header length prefix/],
    ['a header length past the end of the file', rawFile('{}', ok8, 1000n), /bad\.st: header length 1000 points past the end of the file \(18 bytes\)/],
    ['a header that is not JSON', rawFile('{"a": '), /bad\.st: header is not valid UTF-8 JSON/],
    ['a header that is not an object', rawFile('[1, 2]'), /bad\.st: header must be a JSON object, got \[1,2\]/],
    ['an unknown dtype', rawFile({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }), /bad\.st: tensor "w": unknown dtype "F128"/],
    ['a negative dimension', rawFile({ w: f32([-1], 0, 0) }), /bad\.st: tensor "w": shape \[-1\] is not an array of non-negative integers/],
    ['a fractional dimension', rawFile({ w: f32([1.5], 0, 6) }), /tensor "w": shape \[1\.5\] is not an array of non-negative integers/],
    ['a shape that is not an array', rawFile({ w: f32(2 as never, 0, 8) }, ok8), /tensor "w": shape 2 is not an array/],
    ['malformed data_offsets', rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, ok8), /tensor "w": data_offsets \[8,0\] must be \[begin, end\]/],
    ['a header pointing past the end', rawFile({ w: f32([2], 8, 16) }, ok8), /bad\.st: tensor "w": data_offsets \[8, 16\] point past the end of the data section \(8 bytes\)/],
    ['a dtype/shape mismatch', rawFile({ w: f32([3], 0, 8) }, ok8), /bad\.st: tensor "w": dtype\/shape mismatch: F32 \[3\] needs 12 bytes \(4 per element\) but data_offsets \[0, 8\] span 8 bytes/],
    ['overlapping offsets', rawFile({ a: f32([2], 0, 8), b: f32([2], 4, 12) }, new Uint8Array(12)), /bad\.st: tensors "a" \[0, 8\] and "b" \[4, 12\] have overlapping data_offsets/],
    ['a gap between tensors', rawFile({ a: f32([2], 0, 8), b: f32([2], 12, 20) }, new Uint8Array(20)), /bad\.st: data_offsets are not contiguous: 4 unused bytes before tensor "b"/],
    ['trailing bytes after the data', rawFile({ a: f32([2], 0, 8) }, new Uint8Array(12)), /bad\.st: data_offsets are not contiguous: 4 unused trailing bytes/],
    ['a non-string metadata value', rawFile({ __metadata__: { epoch: 3 } }), /bad\.st: "__metadata__" value for "epoch" must be a string, got 3/],
    ['metadata that is not an object', rawFile({ __metadata__: ['x'] }), /bad\.st: "__metadata__" must be an object of strings/],
  ];
  for (const [what, bytes, re] of cases) {
    it(`rejects ${what}`, () => {
      expect(() => decodeSafetensors(bytes, 'bad.st')).toThrow(re);
    });
  }

  it('rejects a truncated file', () => {
    const good = encodeSafetensors({ a: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) } });
    expect(() => decodeSafetensors(good.subarray(0, good.length - 3), 'cut.st')).toThrow(
      /cut\.st: file is truncated: header describes 8 bytes of tensor data but only 5 follow the header \(file is 69 bytes, expected 72\)/,
    );
  });
});

describe('saveSafetensors / loadSafetensors', () => {
  it('round-trips through a file', async () => {
    const path = join(dir, 'model.safetensors');
    await saveSafetensors(path, everyDType(), { note: 'ünïcödé ✓' });
    const loaded = await loadSafetensors(path);
    expectSameTensors(loaded.tensors, everyDType());
    expect(loaded.metadata).toEqual({ note: 'ünïcödé ✓' });
  });

  it('names the file in load errors', async () => {
    const path = join(dir, 'broken.safetensors');
    writeFileSync(path, new Uint8Array(3));
    await expect(loadSafetensors(path)).rejects.toThrow(`safetensors ${path}: file is 3 bytes`);
  });

  it('a crash between write and rename keeps the previous checkpoint intact and loadable', async () => {
    const path = join(dir, 'ckpt.safetensors');
    const v1: HostTensor = { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) };
    await saveSafetensors(path, { w: v1 }, { step: '1' });
    const before = readFileSync(path);

    const v2: HostTensor = { dtype: 'float32', shape: [1000], data: new Float32Array(1000).fill(7) };
    await expect(
      saveSafetensors(path, { w: v2 }, { step: '2' }, {
        beforeRename: (tmp) => {
          expect(decodeSafetensors(readFileSync(tmp), tmp).metadata).toEqual({ step: '2' }); // new data was fully written
          throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow(/simulated crash/);

    expect(readFileSync(path).equals(before)).toBe(true);
    const loaded = await loadSafetensors(path);
    expect(loaded.metadata).toEqual({ step: '1' });
    expectSameTensors(loaded.tensors, { w: v1 });
    expect(readdirSync(dir)).toEqual(['ckpt.safetensors']);
  });
});
