import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageBytes, loadImage, resizeRgb } from './image.js';
import { tempDir, writeStripes } from './test-fixtures.js';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The RGB value at (row y, column x) of a [3, S, S] image. */
const pixel = (img: Float32Array, size: number, y: number, x: number): number[] => [0, 1, 2].map((c) => img[c * size * size + y * size + x]);

describe('loadImage', () => {
  it.each([
    ['png', 1 / 255],
    ['jpg', 0.03],
    ['webp', 0.03],
  ])('a solid-colour %s decodes to that colour, [3, size, size]', async (ext, tol) => {
    const file = path.join(dir, `solid.${ext}`);
    await writeStripes(file, 40, 24, [[255, 128, 0]]);
    const img = await loadImage(file, 16);
    expect(img).toHaveLength(3 * 16 * 16);
    for (const [y, x] of [[0, 0], [7, 9], [15, 15]]) {
      const [r, g, b] = pixel(img, 16, y, x);
      expect(Math.abs(r - 1)).toBeLessThanOrEqual(tol);
      expect(Math.abs(g - 128 / 255)).toBeLessThanOrEqual(tol);
      expect(Math.abs(b - 0)).toBeLessThanOrEqual(tol);
    }
  });

  it('is channel-first: the R plane, then G, then B', async () => {
    const file = path.join(dir, 'rb.png');
    await writeStripes(file, 8, 8, [[255, 0, 0], [0, 0, 255]]); // left red, right blue
    const img = await loadImage(file, 8);
    expect(img[0 * 64 + 0]).toBe(1); // R at (0, 0)
    expect(img[2 * 64 + 0]).toBe(0); // B at (0, 0)
    expect(img[0 * 64 + 7]).toBe(0); // R at (0, 7)
    expect(img[2 * 64 + 7 * 8 + 7]).toBe(1); // B at (7, 7)
  });

  it("fit 'cover' centre-crops, 'fill' stretches", async () => {
    const file = path.join(dir, 'stripes.png');
    await writeStripes(file, 30, 10, [[255, 0, 0], [0, 255, 0], [0, 0, 255]]);
    const cover = await loadImage(file, 10);
    for (const x of [0, 5, 9]) expect(pixel(cover, 10, 5, x)).toEqual([0, 1, 0]); // only the green middle third
    const fill = await loadImage(file, 9, { fit: 'fill' });
    const near = (got: number[], want: number[]): void => got.forEach((v, c) => expect(Math.abs(v - want[c])).toBeLessThan(0.02)); // Lanczos ringing
    near(pixel(fill, 9, 4, 0), [1, 0, 0]);
    near(pixel(fill, 9, 4, 4), [0, 1, 0]);
    near(pixel(fill, 9, 4, 8), [0, 0, 1]);
  });

  it('composites transparency onto white and expands grey to RGB', async () => {
    const clear = path.join(dir, 'clear.png');
    await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0 } } }).png().toFile(clear);
    expect(pixel(await loadImage(clear, 4), 4, 1, 1)).toEqual([1, 1, 1]);
    const grey = path.join(dir, 'grey.png');
    await sharp(Buffer.alloc(16, 51), { raw: { width: 4, height: 4, channels: 1 } }).png().toFile(grey);
    const g = await loadImage(grey, 4);
    expect(g).toHaveLength(48);
    for (const v of pixel(g, 4, 2, 2)) expect(v).toBeCloseTo(0.2, 2);
  });

  it('an undecodable or missing file is an error naming it', async () => {
    const bad = path.join(dir, 'broken.png');
    writeFileSync(bad, 'this is not a png');
    await expect(loadImage(bad, 8)).rejects.toThrow(/cannot decode image .*broken\.png/);
    const png = path.join(dir, 'cut.png');
    await writeStripes(png, 64, 64, [[1, 2, 3], [200, 100, 50]]);
    writeFileSync(png, readFileSync(png).subarray(0, 60)); // truncated
    await expect(loadImage(png, 8)).rejects.toThrow(/cannot decode image .*cut\.png/);
    await expect(loadImage(path.join(dir, 'nope.jpg'), 8)).rejects.toThrow(/nope\.jpg/);
  });
});

describe('decodeImageBytes and resizeRgb', () => {
  it('decode uploads and raw frames the same way as files', async () => {
    const bytes = await sharp({ create: { width: 6, height: 3, channels: 3, background: { r: 0, g: 51, b: 255 } } }).png().toBuffer();
    const img = await decodeImageBytes(bytes, 5);
    expect(pixel(img, 5, 2, 2).map((v) => Math.round(v * 255))).toEqual([0, 51, 255]);
    await expect(decodeImageBytes(new Uint8Array([1, 2, 3]), 5, { name: 'upload 7' })).rejects.toThrow(/cannot decode image upload 7/);
    const raw = new Uint8Array(4 * 2 * 3).fill(255);
    const frame = await resizeRgb(raw, 4, 2, 3);
    expect(frame).toHaveLength(27);
    expect(frame.every((v) => v === 1)).toBe(true);
  });
});
