import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Random } from '../../graph/random.js';
import { readY4m, writeY4m } from './y4m.js';

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

function randomFrames(w: number, h: number, count: number, block = 1, seed = 1): Float32Array[] {
  const rng = new Random(seed);
  return Array.from({ length: count }, () => {
    const f = new Float32Array(3 * w * h);
    for (let c = 0; c < 3; c++) {
      for (let by = 0; by < h; by += block) {
        for (let bx = 0; bx < w; bx += block) {
          const v = rng.int(256) / 255;
          for (let y = by; y < Math.min(h, by + block); y++) for (let x = bx; x < Math.min(w, bx + block); x++) f[c * w * h + y * w + x] = v;
        }
      }
    }
    return f;
  });
}

const ascii = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

describe('writeY4m / readY4m', () => {
  it('round-trips 4:4:4 frames within colour-conversion rounding', () => {
    const frames = randomFrames(7, 5, 3);
    const bytes = writeY4m({ width: 7, height: 5, frames, fps: [8, 1] });
    const header = new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(10)));
    expect(header).toBe('YUV4MPEG2 W7 H5 F8:1 Ip A1:1 C444 XCOLORRANGE=FULL');
    expect(bytes.length).toBe(header.length + 1 + 3 * (6 + 3 * 7 * 5));
    const back = readY4m(bytes);
    expect([back.width, back.height, back.fps, back.colourSpace, back.range, back.frames.length]).toEqual([7, 5, [8, 1], '444', 'full', 3]);
    back.frames.forEach((f, i) => expect(maxAbsDiff(f, frames[i]!)).toBeLessThanOrEqual(3 / 255));
  });

  it('round-trips 4:2:0 frames of 2×2 blocks (odd sizes too)', () => {
    for (const [w, h] of [[8, 6], [5, 3]] as const) {
      const frames = randomFrames(w, h, 2, 2, w);
      const bytes = writeY4m({ width: w, height: h, frames }, { colourSpace: '420jpeg' });
      const cw = Math.ceil(w / 2);
      const ch = Math.ceil(h / 2);
      expect(bytes.length - bytes.indexOf(10) - 1).toBe(2 * (6 + w * h + 2 * cw * ch));
      const back = readY4m(bytes);
      expect(back.colourSpace).toBe('420jpeg');
      back.frames.forEach((f, i) => expect(maxAbsDiff(f, frames[i]!)).toBeLessThanOrEqual(3 / 255));
    }
  });

  it('decodes known colours, limited range, mono, frame parameters and the default colour space', () => {
    // Full range: Y=76 Cb=85 Cr=255 is pure red; limited: Y=16 is black, Y=235 white.
    const red = readY4m(concat(ascii('YUV4MPEG2 W1 H1 F30000:1001 C444\nFRAME\n'), Uint8Array.of(76, 85, 255)));
    Array.from(red.frames[0]!).forEach((v, c) => expect(Math.abs(v * 255 - [255, 0, 0][c]!)).toBeLessThan(1.5));
    expect(red.fps).toEqual([30000, 1001]);
    const lim = readY4m(concat(ascii('YUV4MPEG2 W2 H1 C444 XCOLORRANGE=LIMITED\nFRAME\n'), Uint8Array.of(16, 235, 128, 128, 128, 128)));
    expect(lim.range).toBe('limited');
    expect(Array.from(lim.frames[0]!).map((v) => Math.round(v * 255))).toEqual([0, 255, 0, 255, 0, 255]);
    const forced = readY4m(concat(ascii('YUV4MPEG2 W1 H1 C444\nFRAME\n'), Uint8Array.of(16, 128, 128)), { range: 'limited' });
    expect(forced.frames[0]![0]).toBe(0);
    const mono = readY4m(concat(ascii('YUV4MPEG2 W2 H1 Cmono\nFRAME Ixyz\n'), Uint8Array.of(0, 255), ascii('FRAME\n'), Uint8Array.of(128, 64)));
    expect(mono.frames.map((f) => Array.from(f).map((v) => Math.round(v * 255)))).toEqual([[0, 255, 0, 255, 0, 255], [128, 64, 128, 64, 128, 64]]);
    // No C parameter means 4:2:0: a 2×2 frame has one chroma sample per plane.
    const def = readY4m(concat(ascii('YUV4MPEG2 W2 H2\nFRAME\n'), Uint8Array.of(10, 20, 30, 40, 128, 128)));
    expect(def.colourSpace).toBe('420jpeg');
    expect(Array.from(def.frames[0]!.subarray(0, 4)).map((v) => Math.round(v * 255))).toEqual([10, 20, 30, 40]);
  });

  it('fails clearly on bad input', () => {
    expect(() => readY4m(ascii('RIFF....\n'))).toThrow(/not a YUV4MPEG2 stream/);
    expect(() => readY4m(ascii('YUV4MPEG2 W2 H2 C444'))).toThrow(/no terminating newline/);
    expect(() => readY4m(ascii('YUV4MPEG2 W2 H2 C420p10\n'))).toThrow(/unsupported colour space C420p10/);
    expect(() => readY4m(ascii('YUV4MPEG2 H2 C444\n'))).toThrow(/positive W and H/);
    expect(() => readY4m(concat(ascii('YUV4MPEG2 W2 H2 C444\nFRAME\n'), new Uint8Array(5)))).toThrow(/frame 0 is truncated \(5 of 12 bytes\)/);
    expect(() => readY4m(concat(ascii('YUV4MPEG2 W1 H1 C444\nFRAMX\n'), new Uint8Array(3)))).toThrow(/expected FRAME/);
    expect(() => writeY4m({ width: 2, height: 2, frames: [new Float32Array(5)] })).toThrow(/frame 0 has 5 values, expected 3×2×2 = 12/);
  });
});

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;

describe.skipIf(!hasFfmpeg)('interoperability with ffmpeg (optional: skipped without ffmpeg)', () => {
  it('ffmpeg decodes our files, and we decode ffmpeg’s limited-range 4:2:0 output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'y4m-'));
    try {
      const frames = randomFrames(16, 16, 2, 4);
      writeFileSync(join(dir, 'ours.y4m'), writeY4m({ width: 16, height: 16, frames, fps: [2, 1] }));
      execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', join(dir, 'ours.y4m'), '-frames:v', '1', '-pix_fmt', 'rgb24', join(dir, 'ours.png')]);
      const { data } = await sharp(join(dir, 'ours.png')).raw().toBuffer({ resolveWithObject: true });
      const png = new Float32Array(3 * 256);
      for (let i = 0; i < 256; i++) for (let c = 0; c < 3; c++) png[c * 256 + i] = data[i * 3 + c]! / 255;
      expect(maxAbsDiff(png, frames[0]!)).toBeLessThanOrEqual(4 / 255);
      // ffmpeg filters chroma across edges when subsampling, so compare flat frames (the range and matrix are what matter).
      const flat = [[0.9, 0.2, 0.1], [0.1, 0.4, 0.8]].map((rgb) => Float32Array.from({ length: 3 * 256 }, (_, i) => rgb[Math.floor(i / 256)]!));
      writeFileSync(join(dir, 'flat.y4m'), writeY4m({ width: 16, height: 16, frames: flat }));
      execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', join(dir, 'flat.y4m'), '-pix_fmt', 'yuv420p', join(dir, 'theirs.y4m')]);
      const theirs = readY4m(readFileSync(join(dir, 'theirs.y4m')));
      expect(theirs.frames).toHaveLength(2);
      theirs.frames.forEach((f, i) => expect(maxAbsDiff(f, flat[i]!)).toBeLessThanOrEqual(4 / 255));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
