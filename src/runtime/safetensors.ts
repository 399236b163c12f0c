/**
 * Reader/writer for the huggingface safetensors format
 * (https://github.com/huggingface/safetensors#format):
 *
 *   [u64 little-endian N][N bytes UTF-8 JSON header][raw little-endian tensor data]
 *
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]}
 * (offsets relative to the start of the data section) plus an optional
 * "__metadata__" string→string map. We write tensors in sorted-name order,
 * contiguously, and pad the header with spaces so the data section starts at a
 * multiple of 8 bytes, as the reference implementation does.
 */
import { readFile } from 'node:fs/promises';
import { DTYPE_BYTES, type DType, type HostArray } from '../graph/dtype.js';
import type { HostTensor } from '../graph/host-tensor.js';
import { writeFileAtomic, type AtomicWriteOptions } from './atomic-write.js';

/** Safetensors dtype name of each of our dtypes. */
export const SAFETENSORS_DTYPE: Record<DType, string> = {
  float32: 'F32',
  float64: 'F64',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
  float8e4m3fn: 'F8_E4M3',
  float8e5m2: 'F8_E5M2',
};

const FROM_SAFETENSORS_DTYPE: ReadonlyMap<string, DType> = new Map(
  Object.entries(SAFETENSORS_DTYPE).map(([ours, theirs]) => [theirs, ours as DType]),
);

const METADATA_KEY = '__metadata__';

export interface SafetensorsContents {
  tensors: Record<string, HostTensor>;
  metadata: Record<string, string>;
  /** Where each tensor's bytes sit in the file (absolute offset, length): lets ONNX files use them as external data. */
  layout: Map<string, { offset: number; length: number }>;
}

type Fail = (msg: string) => never;

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

function assertLittleEndianHost(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error('safetensors: big-endian hosts are not supported');
  }
}

const fmtShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

function isShape(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
}

/** Byte count of a tensor, or throws if it does not fit in a safe integer. */
function byteSize(dtype: DType, shape: readonly number[], where: string): number {
  let n = DTYPE_BYTES[dtype];
  for (const d of shape) n *= d;
  if (!Number.isSafeInteger(n)) throw new Error(`${where}: shape ${fmtShape(shape)} is too large`);
  return n;
}

type HostArrayCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => HostArray;

const ARRAY_CTOR: Record<DType, HostArrayCtor> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
  float8e4m3fn: Uint8Array,
  float8e5m2: Uint8Array,
};

/** Serializes tensors (and optional string metadata) to safetensors bytes. */
export function encodeSafetensors(tensors: Record<string, HostTensor>, metadata?: Record<string, string>): Uint8Array {
  assertLittleEndianHost();
  // Null prototype so a tensor named "__proto__" becomes an ordinary key.
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`encodeSafetensors: metadata "${k}" must be a string, got ${typeof v}`);
    }
    header[METADATA_KEY] = metadata;
  }
  const names = Object.keys(tensors).sort();
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) throw new Error(`encodeSafetensors: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    const t = tensors[name]!;
    const where = `encodeSafetensors: tensor "${name}"`;
    if (!Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPE, t.dtype)) throw new Error(`${where}: unknown dtype ${String(t.dtype)}`);
    if (!isShape(t.shape)) throw new Error(`${where}: shape must be an array of non-negative integers`);
    if (!(t.data instanceof ARRAY_CTOR[t.dtype])) {
      throw new Error(`${where}: ${t.dtype} data must be a ${ARRAY_CTOR[t.dtype].name}, got ${t.data.constructor.name}`);
    }
    const size = byteSize(t.dtype, t.shape, where);
    if (t.data.byteLength !== size) {
      throw new Error(`${where}: ${t.dtype} ${fmtShape(t.shape)} needs ${size} bytes but data has ${t.data.byteLength}`);
    }
    header[name] = { dtype: SAFETENSORS_DTYPE[t.dtype], shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  const jsonBytes = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(jsonBytes.length / 8) * 8; // 8 + padded is a multiple of 8
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(jsonBytes, 8);
  out.fill(0x20, 8 + jsonBytes.length, 8 + padded);
  let pos = 8 + padded;
  for (const name of names) {
    const { buffer, byteOffset, byteLength } = tensors[name]!.data;
    out.set(new Uint8Array(buffer, byteOffset, byteLength), pos);
    pos += byteLength;
  }
  return out;
}

/** JSON of an untrusted header value, shortened for error messages. */
function preview(x: unknown): string {
  const s = JSON.stringify(x) ?? String(x);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function parseMetadata(raw: unknown, fail: Fail): Record<string, string> {
  if (raw === null) return {};
  if (!isPlainObject(raw)) return fail(`"${METADATA_KEY}" must be an object of strings, got ${preview(raw)}`);
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') fail(`"${METADATA_KEY}" value for "${k}" must be a string, got ${preview(v)}`);
  }
  return Object.fromEntries(Object.entries(raw)) as Record<string, string>;
}

function parseEntry(name: string, raw: unknown, fail: Fail): Entry {
  const where = `tensor "${name}"`;
  if (!isPlainObject(raw)) return fail(`${where}: entry must be an object with dtype, shape and data_offsets`);
  const dtype = typeof raw.dtype === 'string' ? FROM_SAFETENSORS_DTYPE.get(raw.dtype) : undefined;
  if (dtype === undefined) {
    const known = [...FROM_SAFETENSORS_DTYPE.keys()].join(', ');
    return fail(`${where}: unknown dtype ${preview(raw.dtype)} (supported: ${known})`);
  }
  const shape = raw.shape;
  if (!isShape(shape)) return fail(`${where}: shape ${preview(shape)} is not an array of non-negative integers`);
  const offs = raw.data_offsets;
  if (
    !Array.isArray(offs) ||
    offs.length !== 2 ||
    !offs.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) ||
    (offs[0] as number) > (offs[1] as number)
  ) {
    return fail(`${where}: data_offsets ${preview(offs)} must be [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offs as [number, number];
  const expected = byteSize(dtype, shape, `safetensors ${where}`);
  if (end - begin !== expected) {
    fail(
      `${where}: dtype/shape mismatch: ${raw.dtype as string} ${fmtShape(shape)} needs ${expected} bytes ` +
        `(${DTYPE_BYTES[dtype]} per element) but data_offsets [${begin}, ${end}] span ${end - begin} bytes`,
    );
  }
  return { name, dtype, shape: [...shape], begin, end };
}

/** Checks that the tensors tile the data section exactly: in bounds, no overlap, no gaps. */
function checkLayout(entries: Entry[], dataStart: number, fileLen: number, fail: Fail): void {
  const dataLen = fileLen - dataStart;
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  const maxEnd = sorted.reduce((m, e) => Math.max(m, e.end), 0);
  if (maxEnd > dataLen) {
    const contiguous = sorted.every((e, i) => e.begin === (i === 0 ? 0 : sorted[i - 1]!.end));
    if (contiguous) {
      fail(
        `file is truncated: header describes ${maxEnd} bytes of tensor data but only ${dataLen} follow the header ` +
          `(file is ${fileLen} bytes, expected ${dataStart + maxEnd})`,
      );
    }
    const bad = sorted.find((e) => e.end > dataLen)!;
    fail(`tensor "${bad.name}": data_offsets [${bad.begin}, ${bad.end}] point past the end of the data section (${dataLen} bytes)`);
  }
  let prev: Entry | undefined;
  for (const e of sorted) {
    const prevEnd = prev?.end ?? 0;
    if (e.begin < prevEnd) {
      const [p, q] = [prev!, e];
      fail(`tensors "${p.name}" [${p.begin}, ${p.end}] and "${q.name}" [${q.begin}, ${q.end}] have overlapping data_offsets`);
    }
    if (e.begin > prevEnd) {
      fail(
        `data_offsets are not contiguous: ${e.begin - prevEnd} unused bytes before tensor "${e.name}" ` +
          `[${e.begin}, ${e.end}] (previous data ends at ${prevEnd})`,
      );
    }
    prev = e;
  }
  const used = prev?.end ?? 0;
  if (used !== dataLen) {
    fail(`data_offsets are not contiguous: ${dataLen - used} unused trailing bytes after the last tensor's data`);
  }
}

/** Typed array for one tensor: a view into `bytes` when aligned, otherwise an aligned copy. */
function readTensor(bytes: Uint8Array, dataStart: number, e: Entry): HostTensor {
  const bpe = DTYPE_BYTES[e.dtype];
  const count = (e.end - e.begin) / bpe;
  const abs = bytes.byteOffset + dataStart + e.begin;
  const Ctor = ARRAY_CTOR[e.dtype];
  if (abs % bpe === 0) return { dtype: e.dtype, shape: e.shape, data: new Ctor(bytes.buffer, abs, count) };
  const copy = bytes.slice(dataStart + e.begin, dataStart + e.end);
  return { dtype: e.dtype, shape: e.shape, data: new Ctor(copy.buffer, 0, count) };
}

/**
 * Parses safetensors bytes. `source` (a file path, usually) is named in every
 * error. Tensor arrays are zero-copy views into `bytes` when their offset is
 * aligned for the element type (so they alias `bytes`), and aligned copies
 * otherwise.
 */
export function decodeSafetensors(bytes: Uint8Array, source = '<bytes>'): SafetensorsContents {
  assertLittleEndianHost();
  const fail: Fail = (msg) => {
    throw new Error(`safetensors ${source}: ${msg}`);
  };
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length prefix`);
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLen > BigInt(bytes.length - 8)) {
    fail(`header length ${headerLen} points past the end of the file (${bytes.length} bytes)`);
  }
  const dataStart = 8 + Number(headerLen);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (err) {
    fail(`header is not valid UTF-8 JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(header)) return fail(`header must be a JSON object, got ${preview(header)}`);
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(raw, fail);
    else entries.push(parseEntry(name, raw, fail));
  }
  checkLayout(entries, dataStart, bytes.length, fail);
  const tensors = Object.fromEntries(entries.map((e) => [e.name, readTensor(bytes, dataStart, e)]));
  const layout = new Map(entries.map((e) => [e.name, { offset: dataStart + e.begin, length: e.end - e.begin }]));
  return { tensors, metadata, layout };
}

/** Encodes and writes a safetensors file atomically (see {@link writeFileAtomic}). */
export async function saveSafetensors(
  path: string,
  tensors: Record<string, HostTensor>,
  metadata?: Record<string, string>,
  options?: AtomicWriteOptions,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata), options);
}

/** Reads and decodes a safetensors file; errors name `path`. */
export async function loadSafetensors(path: string): Promise<SafetensorsContents> {
  const buf = await readFile(path);
  return decodeSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}
