/**
 * YUV4MPEG2 (`.y4m`) video: uncompressed 8-bit planar YCbCr frames behind a
 * one-line text header, e.g. `YUV4MPEG2 W32 H32 F8:1 Ip A1:1 C444 XCOLORRANGE=FULL`,
 * then `FRAME\n` + the Y, Cb and Cr planes for each frame. ffmpeg reads and
 * writes it (`ffmpeg -i clip.mp4 -pix_fmt yuv444p clip.y4m`).
 *
 * Colour conversion is BT.601 (JPEG/JFIF full range by default; limited
 * "studio" range when the header says XCOLORRANGE=LIMITED or the caller asks).
 */

/** A decoded video: frames of planar RGB in 0..1, each laid out [3, H, W]. */
export interface Y4mVideo {
  width: number;
  height: number;
  frames: Float32Array[];
  /** Frame rate as numerator/denominator (e.g. [8, 1]). */
  fps?: [number, number];
}

/** Chroma layouts: the 4:2:0 siting variants decode alike (nearest-neighbour upsampling). */
export type Y4mColourSpace = '444' | '422' | '420' | '420jpeg' | '420paldv' | '420mpeg2' | 'mono' | '444alpha';
export type ColourRange = 'full' | 'limited';

export interface Y4mReadResult extends Y4mVideo {
  fps: [number, number];
  colourSpace: Y4mColourSpace;
  range: ColourRange;
}

const MAGIC = 'YUV4MPEG2';
const SUPPORTED: readonly string[] = ['444', '422', '420', '420jpeg', '420paldv', '420mpeg2', 'mono', '444alpha'];

/** Chroma plane size for a colour space. */
function chromaDims(cs: Y4mColourSpace, w: number, h: number): [number, number] {
  if (cs === '444' || cs === '444alpha') return [w, h];
  if (cs === '422') return [(w + 1) >> 1, h];
  if (cs === 'mono') return [0, 0];
  return [(w + 1) >> 1, (h + 1) >> 1];
}

function lineEnd(bytes: Uint8Array, from: number, what: string): number {
  const end = bytes.indexOf(0x0a, from);
  if (end < 0) throw new Error(`readY4m: ${what} has no terminating newline at byte ${from}`);
  return end;
}

const decoder = new TextDecoder('latin1');

/**
 * Decodes a `.y4m` file into RGB frames ([3, H, W], 0..1). Reads 8-bit
 * 4:4:4, 4:2:2, 4:2:0 (any siting), mono and 4:4:4+alpha (alpha dropped).
 * `range` overrides the header's XCOLORRANGE (default full range).
 */
export function readY4m(bytes: Uint8Array, opts: { range?: ColourRange } = {}): Y4mReadResult {
  const headerEnd = lineEnd(bytes, 0, 'the stream header');
  const tokens = decoder.decode(bytes.subarray(0, headerEnd)).split(' ').filter((t) => t.length > 0);
  if (tokens[0] !== MAGIC) throw new Error(`readY4m: not a YUV4MPEG2 stream (starts with '${tokens[0]?.slice(0, 16) ?? ''}')`);
  let width = 0;
  let height = 0;
  let fps: [number, number] = [25, 1];
  let colourSpace: Y4mColourSpace = '420jpeg'; // the format's default when C is absent
  let range: ColourRange = 'full';
  for (const t of tokens.slice(1)) {
    const v = t.slice(1);
    switch (t[0]) {
      case 'W':
        width = Number(v);
        break;
      case 'H':
        height = Number(v);
        break;
      case 'F': {
        const [n, d] = v.split(':').map(Number);
        if (n && d) fps = [n, d];
        break;
      }
      case 'C':
        if (!SUPPORTED.includes(v)) throw new Error(`readY4m: unsupported colour space C${v} (supported: ${SUPPORTED.join(', ')}; convert with ffmpeg -pix_fmt yuv444p)`);
        colourSpace = v as Y4mColourSpace;
        break;
      case 'X':
        if (v === 'COLORRANGE=LIMITED') range = 'limited';
        else if (v === 'COLORRANGE=FULL') range = 'full';
        break;
      default: // I (interlacing) and A (aspect) do not change decoding
    }
  }
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new Error(`readY4m: header must give positive W and H, got W${width} H${height}`);
  }
  range = opts.range ?? range;
  const [cw, ch] = chromaDims(colourSpace, width, height);
  const ySize = width * height;
  const frameBytes = ySize + 2 * cw * ch + (colourSpace === '444alpha' ? ySize : 0);
  const frames: Float32Array[] = [];
  let pos = headerEnd + 1;
  while (pos < bytes.length) {
    const end = lineEnd(bytes, pos, `frame ${frames.length} header`);
    if (decoder.decode(bytes.subarray(pos, Math.min(end, pos + 5))) !== 'FRAME') {
      throw new Error(`readY4m: expected FRAME at byte ${pos} (frame ${frames.length})`);
    }
    pos = end + 1;
    if (pos + frameBytes > bytes.length) {
      throw new Error(`readY4m: frame ${frames.length} is truncated (${bytes.length - pos} of ${frameBytes} bytes)`);
    }
    frames.push(yuvToRgb(bytes.subarray(pos, pos + frameBytes), width, height, cw, ch, range));
    pos += frameBytes;
  }
  return { width, height, fps, colourSpace, range, frames };
}

/** One frame's planes → planar RGB [3, H, W] in 0..1 (BT.601). */
function yuvToRgb(p: Uint8Array, w: number, h: number, cw: number, ch: number, range: ColourRange): Float32Array {
  const n = w * h;
  const out = new Float32Array(3 * n);
  const limited = range === 'limited';
  const sx = cw === 0 ? 0 : cw / w;
  const sy = ch === 0 ? 0 : ch / h;
  for (let y = 0; y < h; y++) {
    const cy = Math.min(ch - 1, Math.floor(y * sy));
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let Y = p[i]!;
      let cb = 0;
      let cr = 0;
      if (cw > 0) {
        const ci = cy * cw + Math.min(cw - 1, Math.floor(x * sx));
        cb = p[n + ci]! - 128;
        cr = p[n + cw * ch + ci]! - 128;
      }
      if (limited) {
        Y = ((Y - 16) * 255) / 219;
        cb = (cb * 255) / 224;
        cr = (cr * 255) / 224;
      }
      out[i] = clamp01((Y + 1.402 * cr) / 255);
      out[n + i] = clamp01((Y - 0.344136 * cb - 0.714136 * cr) / 255);
      out[2 * n + i] = clamp01((Y + 1.772 * cb) / 255);
    }
  }
  return out;
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
const byte = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));

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
  const [cw, ch] = chromaDims(cs, w, h);
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
      out[pos + i] = byte(0.299 * r + 0.587 * g + 0.114 * b);
      cb[i] = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
      cr[i] = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
    }
    pos += n;
    for (const [plane, src] of [[0, cb], [1, cr]] as const) {
      const base = pos + plane * cw * ch;
      for (let y = 0; y < ch; y++) {
        for (let x = 0; x < cw; x++) {
          if (cs === '444') {
            out[base + y * cw + x] = byte(src[y * w + x]!);
            continue;
          }
          let sum = 0;
          let count = 0;
          for (let dy = 0; dy < 2; dy++) {
            for (let dx = 0; dx < 2; dx++) {
              const yy = 2 * y + dy;
              const xx = 2 * x + dx;
              if (yy < h && xx < w) {
                sum += src[yy * w + xx]!;
                count++;
              }
            }
          }
          out[base + y * cw + x] = byte(sum / count);
        }
      }
    }
    pos += 2 * cw * ch;
  });
  return out;
}
