import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './test-fixtures.js';
import { encodeY4m444, parseY4mHeader, Y4mReader } from './y4m.js';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

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
  });

  it('rejects what it cannot read', () => {
    expect(() => parseY4mHeader(ascii('RIFF1234'), 'a.y4m')).toThrow(/invalid Y4M file a\.y4m: does not start with 'YUV4MPEG2'/);
    expect(() => parseY4mHeader(ascii('YUV4MPEG2 W4 H0\n'), 'a.y4m')).toThrow(/bad frame size/);
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
