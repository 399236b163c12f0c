/**
 * YUV4MPEG2 (.y4m) reader in pure TypeScript, random access by frame so a
 * long clip is never held in memory: the frame headers are scanned once
 * (a few bytes per frame) and only the frames asked for are read.
 *
 * Format (https://wiki.multimedia.cx/index.php/YUV4MPEG2): a text header
 * `YUV4MPEG2 W<w> H<h> F<n>:<d> I<p|t|b|m> A<n>:<d> C<space> X<comment>\n`,
 * then per frame `FRAME[ params]\n` and the planes Y, Cb, Cr (and A).
 * Supported colour spaces, all 8-bit: 444, 444alpha (alpha ignored), 422,
 * 420jpeg, 420paldv, 420mpeg2, 420 (the default when C is absent), 411 and
 * mono. Chroma is upsampled by nearest neighbour (chroma siting ignored).
 * YCbCr → RGB uses BT.601 in limited (studio) range unless the header says
 * `XCOLORRANGE=FULL` — the same convention as ffmpeg's y4m demuxer.
 *
 * The writer (writeY4m) emits full-range BT.601 with `XCOLORRANGE=FULL`, in
 * C444 or C420jpeg; the synthetic data set's videos are written with it.
 */
import { open } from 'node:fs/promises';
import { rgbToChw } from './image.js';

export interface Y4mHeader {
  width: number;
  height: number;
  /** Frame rate as [numerator, denominator]; [0, 0] when the header has none. */
  fps: [number, number];
  /** The C parameter, e.g. '420jpeg' ('420jpeg' when absent). */
  colorspace: string;
  /** 'limited' (16–235) or 'full' (0–255) YCbCr range. */
  range: 'limited' | 'full';
  /** Bytes of the stream header including its newline. */
  headerBytes: number;
  /** Bytes of one frame's planes (after its FRAME line). */
  frameBytes: number;
  /** Horizontal and vertical chroma subsampling shifts (0 = none, 1 = half, 2 = quarter); null for mono. */
  chroma: [number, number] | null;
  /** Whether an alpha plane follows the chroma planes. */
  alpha: boolean;
}

/** Where bytes come from: a file handle or a buffer. */
interface Source {
  size: number;
  read(pos: number, len: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

const CHROMA: Record<string, [number, number] | null> = {
  '444': [0, 0],
  '444alpha': [0, 0],
  '422': [1, 0],
  '420': [1, 1],
  '420jpeg': [1, 1],
  '420paldv': [1, 1],
  '420mpeg2': [1, 1],
  '411': [2, 0],
  mono: null,
};

const MAGIC = 'YUV4MPEG2';

/** Size [width, height] of each chroma plane for subsampling shifts `chroma`; [0, 0] for mono. */
function chromaSize(width: number, height: number, chroma: [number, number] | null): [number, number] {
  return chroma ? [Math.ceil(width / (1 << chroma[0])), Math.ceil(height / (1 << chroma[1]))] : [0, 0];
}

/** Parses the stream header at the start of `bytes` (which must contain its newline). */
export function parseY4mHeader(bytes: Uint8Array, name = 'Y4M data'): Y4mHeader {
  const nl = bytes.indexOf(10);
  const text = Buffer.from(bytes.subarray(0, nl < 0 ? Math.min(bytes.length, 80) : nl)).toString('latin1');
  if (!text.startsWith(MAGIC + ' ') && text !== MAGIC) throw new Error(`invalid Y4M file ${name}: does not start with '${MAGIC}'`);
  if (nl < 0) throw new Error(`invalid Y4M file ${name}: header has no end of line (truncated?)`);
  let width = 0;
  let height = 0;
  let fps: [number, number] = [0, 0];
  let colorspace = '420jpeg';
  let range: 'limited' | 'full' = 'limited';
  for (const tok of text.slice(MAGIC.length).split(' ').filter(Boolean)) {
    const v = tok.slice(1);
    switch (tok[0]) {
      case 'W':
        width = Number(v);
        break;
      case 'H':
        height = Number(v);
        break;
      case 'F': {
        const [a, b] = v.split(':').map(Number);
        fps = [a, b];
        break;
      }
      case 'C':
        colorspace = v;
        break;
      case 'X':
        if (v.toUpperCase() === 'COLORRANGE=FULL') range = 'full';
        break;
      default: // I (interlacing), A (aspect) and unknown tags are ignored
    }
  }
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new Error(`invalid Y4M file ${name}: bad frame size W${width} H${height}`);
  }
  if (!(colorspace in CHROMA)) {
    throw new Error(`unsupported Y4M colour space C${colorspace} in ${name} (supported: ${Object.keys(CHROMA).join(', ')}; 8-bit only)`);
  }
  const chroma = CHROMA[colorspace];
  const alpha = colorspace === '444alpha';
  const luma = width * height;
  const [cw, ch] = chromaSize(width, height, chroma);
  const frameBytes = luma + 2 * cw * ch + (alpha ? luma : 0);
  return { width, height, fps, colorspace, range, headerBytes: nl + 1, frameBytes, chroma, alpha };
}

const clamp8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** One frame's planes → interleaved RGB [H, W, 3] (BT.601). */
export function y4mFrameToRgb(data: Uint8Array, h: Y4mHeader): Uint8Array {
  const { width: w, height: ht, chroma } = h;
  const out = new Uint8Array(w * ht * 3); // [H, W, 3]
  const full = h.range === 'full';
  const ys = full ? 1 : 255 / 219;
  const cs = full ? 1 : 255 / 224;
  const y0 = full ? 0 : 16;
  const sx = chroma ? chroma[0] : 0;
  const sy = chroma ? chroma[1] : 0;
  const [cw, ch] = chromaSize(w, ht, chroma);
  const uOff = w * ht;
  const vOff = uOff + cw * ch;
  for (let y = 0; y < ht; y++) {
    for (let x = 0; x < w; x++) {
      const Y = (data[y * w + x] - y0) * ys;
      let r = Y;
      let g = Y;
      let b = Y;
      if (chroma) {
        const ci = (y >> sy) * cw + (x >> sx);
        const cb = (data[uOff + ci] - 128) * cs;
        const cr = (data[vOff + ci] - 128) * cs;
        r = Y + 1.402 * cr;
        g = Y - 0.344136 * cb - 0.714136 * cr;
        b = Y + 1.772 * cb;
      }
      const o = 3 * (y * w + x);
      out[o] = clamp8(r);
      out[o + 1] = clamp8(g);
      out[o + 2] = clamp8(b);
    }
  }
  return out;
}

/** An open Y4M stream: its header, frame count, and frames by index. */
export class Y4mReader {
  private constructor(
    readonly header: Y4mHeader,
    /** Byte offset of each complete frame's planes. */
    private readonly offsets: number[],
    private readonly src: Source,
    private readonly name: string,
  ) {}

  /** Opens a .y4m file (path) or Y4M bytes. A truncated last frame is dropped; no complete frame is an error. */
  static async open(input: string | Uint8Array, name?: string): Promise<Y4mReader> {
    const label = name ?? (typeof input === 'string' ? input : 'Y4M data');
    const src = typeof input === 'string' ? await fileSource(input) : bufferSource(input);
    try {
      const head = await src.read(0, Math.min(src.size, 4096));
      const header = parseY4mHeader(head, label);
      const offsets: number[] = [];
      let pos = header.headerBytes;
      while (pos < src.size) {
        const line = await src.read(pos, Math.min(256, src.size - pos));
        const nl = line.indexOf(10);
        if (Buffer.from(line.subarray(0, 5)).toString('latin1') !== 'FRAME' || nl < 0) {
          if (pos + header.frameBytes > src.size && offsets.length > 0) break; // trailing garbage / cut header
          throw new Error(`invalid Y4M file ${label}: expected FRAME at byte ${pos}`);
        }
        const start = pos + nl + 1;
        if (start + header.frameBytes > src.size) break; // truncated last frame
        offsets.push(start);
        pos = start + header.frameBytes;
      }
      if (offsets.length === 0) throw new Error(`invalid Y4M file ${label}: no complete frame`);
      return new Y4mReader(header, offsets, src, label);
    } catch (e) {
      await src.close();
      throw e;
    }
  }

  get frameCount(): number {
    return this.offsets.length;
  }

  /** Frame `i` as interleaved RGB [H, W, 3]. */
  async frameRgb(i: number): Promise<Uint8Array> {
    if (!Number.isInteger(i) || i < 0 || i >= this.offsets.length) throw new Error(`frame ${i} out of range [0, ${this.offsets.length}) in ${this.name}`);
    const data = await this.src.read(this.offsets[i], this.header.frameBytes);
    return y4mFrameToRgb(data, this.header);
  }

  async close(): Promise<void> {
    await this.src.close();
  }
}

async function fileSource(file: string): Promise<Source> {
  const fh = await open(file, 'r');
  const { size } = await fh.stat();
  return {
    size,
    async read(pos, len) {
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, pos);
      return buf.subarray(0, bytesRead);
    },
    close: () => fh.close(),
  };
}

function bufferSource(bytes: Uint8Array): Source {
  return {
    size: bytes.length,
    read: async (pos, len) => bytes.subarray(pos, pos + len),
    close: async () => {},
  };
}

/** Frames to encode: planar RGB in 0..1, each laid out [3, H, W]. */
export interface Y4mVideo {
  width: number;
  height: number;
  frames: Float32Array[];
  /** Frame rate as numerator/denominator (e.g. [8, 1]); default [frame count, 1], a one-second clip. */
  fps?: [number, number];
}

/**
 * Encodes RGB frames ([3, H, W], 0..1) as a `.y4m` file in full-range BT.601
 * YCbCr, 4:4:4 (default, lossless up to rounding) or 4:2:0 JPEG-sited (2×2 chroma averages).
 */
export function writeY4m(video: Y4mVideo, opts: { colourSpace?: '444' | '420jpeg' } = {}): Uint8Array {
  const { width: w, height: h, frames } = video;
  if (!(Number.isInteger(w) && w > 0 && Number.isInteger(h) && h > 0)) throw new Error(`writeY4m: width and height must be positive integers, got ${w}×${h}`);
  const cs = opts.colourSpace ?? '444';
  const [num, den] = video.fps ?? [frames.length || 1, 1];
  const header = `${MAGIC} W${w} H${h} F${num}:${den} Ip A1:1 C${cs} XCOLORRANGE=FULL\n`;
  const [cw, ch] = chromaSize(w, h, CHROMA[cs]!);
  const n = w * h;
  const frameBytes = n + 2 * cw * ch;
  const out = new Uint8Array(header.length + frames.length * (6 + frameBytes));
  for (let i = 0; i < header.length; i++) out[i] = header.charCodeAt(i);
  let pos = header.length;
  const cb = new Float32Array(n);
  const cr = new Float32Array(n);
  frames.forEach((f, k) => {
    if (f.length !== 3 * n) throw new Error(`writeY4m: frame ${k} has ${f.length} values, expected 3×${h}×${w} = ${3 * n}`);
    for (let i = 0; i < 6; i++) out[pos + i] = 'FRAME\n'.charCodeAt(i);
    pos += 6;
    for (let i = 0; i < n; i++) {
      const r = f[i]! * 255;
      const g = f[n + i]! * 255;
      const b = f[2 * n + i]! * 255;
      out[pos + i] = clamp8(0.299 * r + 0.587 * g + 0.114 * b);
      cb[i] = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
      cr[i] = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
    }
    pos += n;
    for (const [plane, src] of [[0, cb], [1, cr]] as const) {
      const base = pos + plane * cw * ch;
      for (let y = 0; y < ch; y++) {
        for (let x = 0; x < cw; x++) out[base + y * cw + x] = clamp8(cs === '444' ? src[y * w + x]! : blockMean(src, w, h, x, y));
      }
    }
    pos += 2 * cw * ch;
  });
  return out;
}

/** Mean of the (up to) 2×2 values of plane `src` [h, w] under 4:2:0 chroma sample (x, y). */
function blockMean(src: Float32Array, w: number, h: number, x: number, y: number): number {
  let sum = 0;
  let count = 0;
  for (let yy = 2 * y; yy < Math.min(h, 2 * y + 2); yy++) {
    for (let xx = 2 * x; xx < Math.min(w, 2 * x + 2); xx++) {
      sum += src[yy * w + xx]!;
      count++;
    }
  }
  return sum / count;
}

/** Encodes 8-bit RGB frames [H, W, 3] with writeY4m (C444, full range) — for tests and fixtures. */
export function encodeY4m444(frames: Uint8Array[], width: number, height: number, fps: [number, number] = [25, 1]): Uint8Array {
  return writeY4m({ width, height, frames: frames.map((rgb) => rgbToChw(rgb, height, width)), fps });
}
