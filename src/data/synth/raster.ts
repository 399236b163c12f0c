/**
 * A small pure-TypeScript rasteriser: each shape is a signed distance field in
 * pixels, and a pixel's coverage is clamp(0.5 − distance, 0, 1) — a one-pixel
 * anti-aliased edge — composited over the plain background.
 */
import { extentOf, squareHalfSide, triangleCircumradius, type SceneObject } from './scene.js';
import { BACKGROUND_RGB, COLOUR_RGB, SIZE_RADIUS, type Shape } from './vocab.js';

/** An 8-bit RGB image, row-major and interleaved: data[(y·width + x)·3 + c]. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** What the rasteriser needs of an object: its shape, colour, size and centre (units of the image side). */
export type Drawable = Pick<SceneObject, 'shape' | 'colour' | 'size' | 'x' | 'y'>;

/** Signed distance (negative inside) from (px, py) to a shape of radius-equivalent r centred at the origin; y points down. */
export function signedDistance(shape: Shape, r: number, px: number, py: number): number {
  switch (shape) {
    case 'circle':
      return Math.hypot(px, py) - r;
    case 'square': {
      const h = squareHalfSide(r);
      const dx = Math.abs(px) - h;
      const dy = Math.abs(py) - h;
      return Math.hypot(Math.max(dx, 0), Math.max(dy, 0)) + Math.min(Math.max(dx, dy), 0);
    }
    case 'triangle': {
      // Equilateral triangle, apex up, centroid at the origin (Quilez, "2D distance functions").
      const k = Math.sqrt(3);
      const half = (triangleCircumradius(r) * k) / 2; // half the side length
      let x = Math.abs(px) - half;
      let y = -py + half / k;
      if (x + k * y > 0) [x, y] = [(x - k * y) / 2, (-k * x - y) / 2];
      x -= Math.min(Math.max(x, -2 * half), 0);
      return -Math.hypot(x, y) * Math.sign(y);
    }
  }
}

/** Renders objects (centres in units of the image side) onto a `size`×`size` background. */
export function renderObjects(objects: readonly Drawable[], size: number): RgbImage {
  if (!Number.isInteger(size) || size < 1) throw new Error(`renderObjects: size must be a positive integer, got ${size}`);
  const data = new Uint8Array(size * size * 3);
  const acc = new Float32Array(size * size * 3);
  for (let i = 0; i < size * size; i++) acc.set(BACKGROUND_RGB, i * 3);
  for (const o of objects) {
    const r = SIZE_RADIUS[o.size] * size;
    const e = extentOf(o.shape, o.size);
    const cx = o.x * size;
    const cy = o.y * size;
    const [cr, cg, cb] = COLOUR_RGB[o.colour];
    const x0 = Math.max(0, Math.floor(cx - e.left * size) - 1);
    const x1 = Math.min(size - 1, Math.ceil(cx + e.right * size) + 1);
    const y0 = Math.max(0, Math.floor(cy - e.top * size) - 1);
    const y1 = Math.min(size - 1, Math.ceil(cy + e.bottom * size) + 1);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const a = Math.min(1, Math.max(0, 0.5 - signedDistance(o.shape, r, x + 0.5 - cx, y + 0.5 - cy)));
        if (a === 0) continue;
        const p = (y * size + x) * 3;
        acc[p] = acc[p]! * (1 - a) + cr * a;
        acc[p + 1] = acc[p + 1]! * (1 - a) + cg * a;
        acc[p + 2] = acc[p + 2]! * (1 - a) + cb * a;
      }
    }
  }
  for (let i = 0; i < acc.length; i++) data[i] = Math.round(acc[i]!);
  return { width: size, height: size, data };
}

/** An RgbImage as planar float RGB in 0..1, laid out [3, H, W]. */
export function toPlanar(img: RgbImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[c * n + i] = img.data[i * 3 + c]! / 255;
  return out;
}
