import { describe, expect, it } from 'vitest';
import { renderObjects, signedDistance, toPlanar } from './raster.js';
import { extentOf, sampleScene } from './scene.js';
import { BACKGROUND_RGB, COLOUR_RGB, SIZE_RADIUS } from './vocab.js';

const pixel = (data: Uint8Array, size: number, x: number, y: number) => Array.from(data.subarray((y * size + x) * 3, (y * size + x) * 3 + 3));

describe('signedDistance', () => {
  it('is negative inside, zero on the edge, positive outside', () => {
    for (const shape of ['circle', 'square', 'triangle'] as const) {
      expect(signedDistance(shape, 10, 0, 0)).toBeLessThan(-4);
      expect(signedDistance(shape, 10, 30, 0)).toBeGreaterThan(10);
      expect(signedDistance(shape, 10, 0, 30)).toBeGreaterThan(10);
    }
    expect(signedDistance('circle', 10, 10, 0)).toBeCloseTo(0, 12);
    expect(signedDistance('square', 10, (10 * Math.sqrt(Math.PI)) / 2, 0)).toBeCloseTo(0, 12);
    // The triangle's apex is up (negative y) at the circumradius.
    const e = extentOf('triangle', 'large');
    expect(signedDistance('triangle', 1, 0, -e.top / SIZE_RADIUS.large)).toBeCloseTo(0, 9);
    expect(signedDistance('triangle', 1, 0, e.bottom / SIZE_RADIUS.large)).toBeCloseTo(0, 9);
  });
});

describe('renderObjects', () => {
  it('colours each object’s centre pixel with its colour and leaves the rest background', () => {
    for (const size of [32, 64]) {
      for (let i = 0; i < 200; i++) {
        const scene = sampleScene(5, i);
        const { data, width, height } = renderObjects(scene.objects, size);
        expect([width, height, data.length]).toEqual([size, size, size * size * 3]);
        for (const o of scene.objects) expect(pixel(data, size, Math.floor(o.x * size), Math.floor(o.y * size)), `${scene.id} ${o.colour}`).toEqual([...COLOUR_RGB[o.colour]]);
        // Pixels more than one pixel outside every object's box are exactly background.
        const bad: string[] = [];
        for (let y = 0; y < size; y++) {
          for (let x = 0; x < size; x++) {
            const near = scene.objects.some((o) => {
              const e = extentOf(o.shape, o.size);
              const px = (x + 0.5) / size;
              const py = (y + 0.5) / size;
              const m = 1 / size;
              return px > o.x - e.left - m && px < o.x + e.right + m && py > o.y - e.top - m && py < o.y + e.bottom + m;
            });
            const p = (y * size + x) * 3;
            if (!near && (data[p] !== BACKGROUND_RGB[0] || data[p + 1] !== BACKGROUND_RGB[1] || data[p + 2] !== BACKGROUND_RGB[2])) bad.push(`${x},${y}`);
          }
        }
        expect(bad, scene.id).toEqual([]);
      }
    }
  });

  it('anti-aliases edges (intermediate values exist) and area grows with size', () => {
    const small = renderObjects([{ shape: 'circle', colour: 'red', size: 'small', x: 0.5, y: 0.5 }], 64);
    const large = renderObjects([{ shape: 'circle', colour: 'red', size: 'large', x: 0.5, y: 0.5 }], 64);
    const reds = (d: Uint8Array) => Array.from({ length: d.length / 3 }, (_, i) => d[i * 3]!);
    expect(reds(small.data).some((r) => r > BACKGROUND_RGB[0] + 5 && r < COLOUR_RGB.red[0] - 5)).toBe(true);
    const area = (d: Uint8Array) => reds(d).reduce((s, r) => s + (r - BACKGROUND_RGB[0]) / (COLOUR_RGB.red[0] - BACKGROUND_RGB[0]), 0);
    expect(area(small.data)).toBeCloseTo(Math.PI * (SIZE_RADIUS.small * 64) ** 2, -1);
    expect(area(large.data)).toBeCloseTo(Math.PI * (SIZE_RADIUS.large * 64) ** 2, -1);
    // Equal-area shapes: square and triangle cover about as much as the circle.
    for (const shape of ['square', 'triangle'] as const) {
      const img = renderObjects([{ shape, colour: 'red', size: 'large', x: 0.5, y: 0.5 }], 64);
      expect(area(img.data) / area(large.data)).toBeCloseTo(1, 1);
    }
  });

  it('toPlanar lays pixels out [3, H, W] in 0..1', () => {
    const img = renderObjects([{ shape: 'square', colour: 'blue', size: 'large', x: 0.5, y: 0.5 }], 16);
    const p = toPlanar(img);
    const n = 16 * 16;
    const i = 8 * 16 + 8;
    expect([p[i], p[n + i], p[2 * n + i]].map((v) => Math.round(v! * 255))).toEqual([...COLOUR_RGB.blue]);
  });
});
