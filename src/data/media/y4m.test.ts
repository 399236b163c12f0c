import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../graph/random.js';
import { tempDir } from './test-fixtures.js';
import { encodeY4m444, parseY4mHeader, writeY4m, Y4mReader, type Y4mHeader } from './y4m.js';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

/** Every frame of a Y4M stream as 8-bit RGB [H, W, 3], with the header. */
async function readAll(bytes: Uint8Array): Promise<{ header: Y4mHeader; frames: Uint8Array[] }> {
  const r = await Y4mReader.open(bytes);
  try {
    const frames: Uint8Array[] = [];
    for (let i = 0; i < r.frameCount; i++) frames.push(await r.frameRgb(i));
    return { header: r.header, frames };
  } finally {
    await r.close();
  }
}

/** Planar RGB [3, H, W] in 0..1 → interleaved [H, W, 3] in 0..255, rounded to 8 bits unless `round` is false. */
function toRgb255(planar: Float32Array, round = true): number[] {
  const n = planar.length / 3;
  return Array.from({ length: 3 * n }, (_, j) => planar[(j % 3) * n + Math.floor(j / 3)]! * 255).map((v) => (round ? Math.round(v) : v));
}

/** Planar frames [3, H, W] of random 8-bit colours, constant over block×block squares. */
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

describe('parseY4mHeader', () => {
  it('reads size, rate, colour space and plane sizes', () => {
    const h = parseY4mHeader(ascii('YUV4MPEG2 W5 H3 F30000:1001 It A1:1 C420mpeg2 XYSCSS=420MPEG2\nFRAME'));
    expect(h).toMatchObject({ width: 5, height: 3, fps: [30000, 1001], colorspace: '420mpeg2', range: 'limited', alpha: false });
    expect(h.frameBytes).toBe(15 + 2 * 3 * 2); // chroma ⌈5/2⌉ × ⌈3/2⌉
    expect(parseY4mHeader(ascii('YUV4MPEG2 W4 H2\n')).colorspace).toBe('420jpeg');
    expect(parseY4mHeader(ascii('YUV4MPEG2 W4 H2 C422\n')).frameBytes).toBe(8 + 2 * 4);
    expect(parseY4mHeader(ascii('YUV4MPEG2 W4 H2 Cmono\n')).frameBytes).toBe(8);
    expect(parseY4mHeader(ascii('YUV4MPEG2 W4 H2 C444alpha\n')).frameBytes).toBe(32);
    expect(parseY4mHeader(ascii('YUV4MPEG2 W4 H2 C444 XCOLORRANGE=FULL\n')).range).toBe('full');
    expect(parseY4mHeader(ascii('YUV4MPEG2 W4 H2 C444 XCOLORRANGE=LIMITED\n')).range).toBe('limited');
  });

  it('rejects what it cannot read', () => {
    expect(() => parseY4mHeader(ascii('RIFF1234'), 'a.y4m')).toThrow(/invalid Y4M file a\.y4m: does not start with 'YUV4MPEG2'/);
    expect(() => parseY4mHeader(ascii('YUV4MPEG2 W2 H2 C444'), 'a.y4m')).toThrow(/invalid Y4M file a\.y4m: header has no end of line/);
    expect(() => parseY4mHeader(ascii('YUV4MPEG2 W4 H0\n'), 'a.y4m')).toThrow(/bad frame size/);
    expect(() => parseY4mHeader(ascii('YUV4MPEG2 H2 C444\n'), 'a.y4m')).toThrow(/bad frame size W0 H2/);
    expect(() => parseY4mHeader(ascii('YUV4MPEG2 W4 H2 C420p10\n'), 'a.y4m')).toThrow(/unsupported Y4M colour space C420p10/);
  });
});

describe('Y4mReader', () => {
  it('C444 frames round-trip RGB', async () => {
    const colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [200, 150, 100]];
    const frames = colours.map((c) => Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => c[i % 3]));
    const file = path.join(dir, 'c444.y4m');
    writeFileSync(file, encodeY4m444(frames, 2, 2));
    const r = await Y4mReader.open(file);
    try {
      expect(r.frameCount).toBe(4);
      for (let i = 0; i < 4; i++) {
        const rgb = await r.frameRgb(i);
        for (let c = 0; c < 3; c++) expect(Math.abs(rgb[9 + c] - colours[i][c])).toBeLessThanOrEqual(2);
      }
    } finally {
      await r.close();
    }
  });

  it('C420jpeg in limited range: studio white and black, chroma shared by 2×2 blocks', async () => {
    // 4×2 frame: left 2×2 block Y=235 (white), right block Y=16 (black); 2×1 chroma planes.
    // Second frame: Y=81, Cb=90, Cr=240 ≈ BT.601 red.
    const f1 = [235, 235, 16, 16, 235, 235, 16, 16, 128, 128, 128, 128];
    const f2 = [81, 81, 81, 81, 81, 81, 81, 81, 90, 90, 240, 240];
    const bytes = Buffer.concat([ascii('YUV4MPEG2 W4 H2 F25:1 C420jpeg\n'), ascii('FRAME\n'), Buffer.from(f1), ascii('FRAME Ixyz\n'), Buffer.from(f2)]);
    const r = await Y4mReader.open(bytes);
    expect(r.frameCount).toBe(2);
    const a = await r.frameRgb(0);
    expect(Array.from(a.subarray(0, 3))).toEqual([255, 255, 255]);
    expect(Array.from(a.subarray(3 * 5, 3 * 6))).toEqual([255, 255, 255]); // row 1, column 1
    expect(Array.from(a.subarray(3 * 3, 3 * 4))).toEqual([0, 0, 0]);
    const b = await r.frameRgb(1);
    expect(b[0]).toBeGreaterThan(250);
    expect(b[1]).toBeLessThan(5);
    expect(b[2]).toBeLessThan(5);
    await expect(r.frameRgb(2)).rejects.toThrow(/out of range/);
  });

  it('decodes known colours in full and explicit limited range, mono, and the default colour space', async () => {
    // Full range: Y=76 Cb=85 Cr=255 is pure red; limited: Y=16 is black, Y=235 white.
    const red = await readAll(Buffer.concat([ascii('YUV4MPEG2 W1 H1 F30000:1001 C444 XCOLORRANGE=FULL\nFRAME\n'), Buffer.from([76, 85, 255])]));
    Array.from(red.frames[0]!).forEach((v, c) => expect(Math.abs(v - [255, 0, 0][c]!)).toBeLessThan(1.5));
    expect(red.header.fps).toEqual([30000, 1001]);
    const lim = await readAll(Buffer.concat([ascii('YUV4MPEG2 W2 H1 C444 XCOLORRANGE=LIMITED\nFRAME\n'), Buffer.from([16, 235, 128, 128, 128, 128])]));
    expect(lim.header.range).toBe('limited');
    expect(Array.from(lim.frames[0]!)).toEqual([0, 0, 0, 255, 255, 255]);
    const mono = await readAll(Buffer.concat([ascii('YUV4MPEG2 W2 H1 Cmono XCOLORRANGE=FULL\nFRAME Ixyz\n'), Buffer.from([0, 255]), ascii('FRAME\n'), Buffer.from([128, 64])]));
    expect(mono.frames.map((f) => Array.from(f))).toEqual([[0, 0, 0, 255, 255, 255], [128, 128, 128, 64, 64, 64]]);
    // No C parameter means 4:2:0: a 2×2 frame has one chroma sample per plane.
    const def = await readAll(Buffer.concat([ascii('YUV4MPEG2 W2 H2 XCOLORRANGE=FULL\nFRAME\n'), Buffer.from([10, 20, 30, 40, 128, 128])]));
    expect(def.header.colorspace).toBe('420jpeg');
    expect(def.frames.length).toBe(1);
    expect(Array.from(def.frames[0]!)).toEqual([10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40]);
  });

  it('drops a truncated last frame; no complete frame or a bad frame marker is an error', async () => {
    const one = encodeY4m444([new Uint8Array(12).fill(9)], 2, 2);
    const two = encodeY4m444([new Uint8Array(12).fill(9), new Uint8Array(12).fill(99)], 2, 2);
    expect((await Y4mReader.open(two.subarray(0, two.length - 3))).frameCount).toBe(1);
    await expect(Y4mReader.open(one.subarray(0, one.length - 1), 'cut.y4m')).rejects.toThrow(/invalid Y4M file cut\.y4m: no complete frame/);
    const bad = Buffer.from(two);
    bad.write('FRAMX', one.length, 'latin1');
    await expect(Y4mReader.open(bad, 'bad.y4m')).rejects.toThrow(/expected FRAME at byte/);
  });
});

describe('writeY4m', () => {
  it('round-trips 4:4:4 frames within colour-conversion rounding', async () => {
    const frames = randomFrames(7, 5, 3);
    const bytes = writeY4m({ width: 7, height: 5, frames, fps: [8, 1] });
    const header = new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(10)));
    expect(header).toBe('YUV4MPEG2 W7 H5 F8:1 Ip A1:1 C444 XCOLORRANGE=FULL');
    expect(bytes.length).toBe(header.length + 1 + 3 * (6 + 3 * 7 * 5));
    const back = await readAll(bytes);
    const h = back.header;
    expect([h.width, h.height, h.fps, h.colorspace, h.range, back.frames.length]).toEqual([7, 5, [8, 1], '444', 'full', 3]);
    back.frames.forEach((f, i) => expect(maxAbsDiff(f, toRgb255(frames[i]!))).toBeLessThanOrEqual(3));
  });

  it('round-trips 4:2:0 frames of 2×2 blocks (odd sizes too)', async () => {
    for (const [w, h] of [[8, 6], [5, 3]] as const) {
      const frames = randomFrames(w, h, 2, 2, w);
      const bytes = writeY4m({ width: w, height: h, frames }, { colourSpace: '420jpeg' });
      const cw = Math.ceil(w / 2);
      const ch = Math.ceil(h / 2);
      expect(bytes.length - bytes.indexOf(10) - 1).toBe(2 * (6 + w * h + 2 * cw * ch));
      const back = await readAll(bytes);
      expect(back.header.colorspace).toBe('420jpeg');
      expect(back.header.fps).toEqual([2, 1]); // default: the frames make a one-second clip
      back.frames.forEach((f, i) => expect(maxAbsDiff(f, toRgb255(frames[i]!))).toBeLessThanOrEqual(3));
    }
  });

  it('rejects frames of the wrong size', () => {
    expect(() => writeY4m({ width: 2, height: 2, frames: [new Float32Array(5)] })).toThrow(/frame 0 has 5 values, expected 3×2×2 = 12/);
    expect(() => writeY4m({ width: 0, height: 2, frames: [] })).toThrow(/width and height must be positive integers, got 0×2/);
  });
});

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;

describe.skipIf(!hasFfmpeg)('interoperability with ffmpeg (optional: skipped without ffmpeg)', () => {
  it('ffmpeg decodes our files, and we decode ffmpeg’s limited-range 4:2:0 output', async () => {
    const frames = randomFrames(16, 16, 2, 4);
    writeFileSync(path.join(dir, 'ours.y4m'), writeY4m({ width: 16, height: 16, frames, fps: [2, 1] }));
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', path.join(dir, 'ours.y4m'), '-frames:v', '1', '-pix_fmt', 'rgb24', path.join(dir, 'ours.png')]);
    const { data } = await sharp(path.join(dir, 'ours.png')).raw().toBuffer({ resolveWithObject: true });
    expect(maxAbsDiff(data, toRgb255(frames[0]!))).toBeLessThanOrEqual(4);
    // ffmpeg filters chroma across edges when subsampling, so compare flat frames (the range and matrix are what matter).
    const flat = [[0.9, 0.2, 0.1], [0.1, 0.4, 0.8]].map((rgb) => Float32Array.from({ length: 3 * 256 }, (_, i) => rgb[Math.floor(i / 256)]!));
    writeFileSync(path.join(dir, 'flat.y4m'), writeY4m({ width: 16, height: 16, frames: flat }));
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', path.join(dir, 'flat.y4m'), '-pix_fmt', 'yuv420p', path.join(dir, 'theirs.y4m')]);
    const theirs = await readAll(readFileSync(path.join(dir, 'theirs.y4m')));
    expect(theirs.frames).toHaveLength(2);
    theirs.frames.forEach((f, i) => expect(maxAbsDiff(f, toRgb255(flat[i]!, false))).toBeLessThanOrEqual(4));
  });
});
