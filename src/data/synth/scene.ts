/**
 * Scenes of the synthetic world: 1–3 objects, each with a shape, colour, size,
 * a position and a motion for the video. A scene is a pure function of
 * (seed, index), so scene i is the same whatever `--n` is.
 */
import { Random } from '../../graph/random.js';
import {
  COLOURS,
  DIRECTIONS,
  MIN_OBJECTS,
  OBJECT_COUNT_WEIGHTS,
  MOTION_DISTANCE,
  SHAPES,
  SIZE_RADIUS,
  SIZES,
  type Colour,
  type Direction,
  type Shape,
  type Size,
} from './vocab.js';

/** One object of a scene. Coordinates are in units of the image side, origin top-left, y down. */
export interface SceneObject {
  shape: Shape;
  colour: Colour;
  size: Size;
  /** Centre (the centroid for a triangle), 0..1 from the left edge. */
  x: number;
  /** Centre, 0..1 from the top edge. */
  y: number;
  /** How the object moves in the video (`none` = stays still). */
  motion: Direction;
}

/** A scene: its id (`s000123`), its index and its objects, sorted left to right by `x`. */
export interface Scene {
  id: string;
  index: number;
  objects: SceneObject[];
}

/** Axis-aligned extent of a shape around its centre: left, right, top, bottom half-extents. */
export interface Extent {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Half-side of a square with the area of a circle of radius r. */
export const squareHalfSide = (r: number): number => (r * Math.sqrt(Math.PI)) / 2;
/** Circumradius of an equilateral triangle with the area of a circle of radius r. */
export const triangleCircumradius = (r: number): number => r * Math.sqrt((4 * Math.PI) / (3 * Math.sqrt(3)));

/** The extent of an object of this shape and size around its centre (an upward triangle is taller above its centroid). */
export function extentOf(shape: Shape, size: Size): Extent {
  const r = SIZE_RADIUS[size];
  switch (shape) {
    case 'circle':
      return { left: r, right: r, top: r, bottom: r };
    case 'square': {
      const h = squareHalfSide(r);
      return { left: h, right: h, top: h, bottom: h };
    }
    case 'triangle': {
      const R = triangleCircumradius(r);
      const w = (R * Math.sqrt(3)) / 2;
      return { left: w, right: w, top: R, bottom: R / 2 };
    }
  }
}

/** Unit step of a direction, in image coordinates (y down). */
export function directionVector(d: Direction): [number, number] {
  switch (d) {
    case 'left':
      return [-1, 0];
    case 'right':
      return [1, 0];
    case 'up':
      return [0, -1];
    case 'down':
      return [0, 1];
    case 'none':
      return [0, 0];
  }
}

/** Where an object is at time t ∈ [0, 1] of the video (t = 0 is the image). */
export function positionAt(o: SceneObject, t: number): [number, number] {
  const [dx, dy] = directionVector(o.motion);
  return [o.x + dx * MOTION_DISTANCE * t, o.y + dy * MOTION_DISTANCE * t];
}

/** Minimum gap between two objects' extents, in units of the image side. */
const GAP = 0.03;
/** Largest random offset of an object from the centre of its grid cell. */
const JITTER = 0.04;

/** The scene id for an index: `s` + at least 6 digits. */
export function sceneId(index: number): string {
  return `s${String(index).padStart(6, '0')}`;
}

/** Whether an object stays inside the frame at (x, y). */
function inFrame(e: Extent, x: number, y: number): boolean {
  return x - e.left >= 0 && x + e.right <= 1 && y - e.top >= 0 && y + e.bottom <= 1;
}

/** The open interval of t where |p0 + v·t| < w (p0, v: separation and its rate along one axis). */
function closeInterval(p0: number, v: number, w: number): [number, number] {
  if (v === 0) return Math.abs(p0) < w ? [-Infinity, Infinity] : [1, 0];
  const a = (-w - p0) / v;
  const b = (w - p0) / v;
  return [Math.min(a, b), Math.max(a, b)];
}

/** Whether two objects' extents (plus GAP) overlap at any time of the video, motion included. Exact for linear motion. */
export function collide(a: SceneObject, b: SceneObject): boolean {
  const ea = extentOf(a.shape, a.size);
  const eb = extentOf(b.shape, b.size);
  const [adx, ady] = directionVector(a.motion);
  const [bdx, bdy] = directionVector(b.motion);
  // Separation b − a along x, and the extents that must not overlap on that side.
  const sx = b.x - a.x;
  const sy = b.y - a.y;
  const vx = (bdx - adx) * MOTION_DISTANCE;
  const vy = (bdy - ady) * MOTION_DISTANCE;
  // Overlap along x when −(a.left + b.right) < sx < a.right + b.left; centre the interval to use |·| < w.
  const cx = (ea.right + eb.left - (ea.left + eb.right)) / 2;
  const wx = (ea.right + eb.left + ea.left + eb.right) / 2 + GAP;
  const cy = (ea.bottom + eb.top - (ea.top + eb.bottom)) / 2;
  const wy = (ea.bottom + eb.top + ea.top + eb.bottom) / 2 + GAP;
  const [x0, x1] = closeInterval(sx - cx, vx, wx);
  const [y0, y1] = closeInterval(sy - cy, vy, wy);
  const lo = Math.max(0, x0, y0);
  const hi = Math.min(1, x1, y1);
  return lo <= hi;
}

/** Draws the objects' attributes: distinct (shape, colour, size) triples. */
function drawAttributes(rng: Random, count: number): Array<Pick<SceneObject, 'shape' | 'colour' | 'size'>> {
  const out: Array<Pick<SceneObject, 'shape' | 'colour' | 'size'>> = [];
  while (out.length < count) {
    const o = { shape: SHAPES[rng.int(SHAPES.length)]!, colour: COLOURS[rng.int(COLOURS.length)]!, size: SIZES[rng.int(SIZES.length)]! };
    if (!out.some((p) => p.shape === o.shape && p.colour === o.colour && p.size === o.size)) out.push(o);
  }
  return out;
}

/**
 * Places objects in distinct columns of a 3×3 grid (so "left of" is never
 * ambiguous), any row, jittered; retries until no two overlap. Zero jitter
 * always fits (cells are wider than the largest shape plus GAP).
 */
function place(rng: Random, attrs: Array<Pick<SceneObject, 'shape' | 'colour' | 'size'>>): SceneObject[] {
  const columns = [0, 1, 2];
  for (let i = columns.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [columns[i], columns[j]] = [columns[j]!, columns[i]!];
  }
  for (let attempt = 0; ; attempt++) {
    const jitter = attempt < 50 ? JITTER : 0;
    const objects = attrs.map((a, i): SceneObject => {
      const e = extentOf(a.shape, a.size);
      const row = rng.int(3);
      const x = clamp((columns[i]! + 0.5) / 3 + rng.uniform(-jitter, jitter), e.left, 1 - e.right);
      const y = clamp((row + 0.5) / 3 + rng.uniform(-jitter, jitter), e.top, 1 - e.bottom);
      return { ...a, x, y, motion: 'none' };
    });
    if (attempt >= 60 || !anyCollision(objects)) return objects;
  }
}

/**
 * Gives each object a motion: `none` with probability 0.2, otherwise a
 * direction that keeps it inside the frame; the whole assignment is redrawn
 * until no two objects touch during the clip (all `none` if that never happens).
 */
function assignMotion(rng: Random, objects: SceneObject[]): SceneObject[] {
  for (let attempt = 0; attempt < 100; attempt++) {
    const moved = objects.map((o): SceneObject => {
      const e = extentOf(o.shape, o.size);
      const allowed = DIRECTIONS.filter((d) => {
        if (d === 'none') return false;
        const [dx, dy] = directionVector(d);
        return inFrame(e, o.x + dx * MOTION_DISTANCE, o.y + dy * MOTION_DISTANCE);
      });
      const still = rng.nextFloat() < 0.2 || allowed.length === 0;
      return { ...o, motion: still ? 'none' : allowed[rng.int(allowed.length)]! };
    });
    if (!anyCollision(moved)) return moved;
  }
  return objects.map((o) => ({ ...o, motion: 'none' }));
}

function anyCollision(objects: SceneObject[]): boolean {
  for (let i = 0; i < objects.length; i++) for (let j = i + 1; j < objects.length; j++) if (collide(objects[i]!, objects[j]!)) return true;
  return false;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** Scene `index` of the world seeded by `seed`: depends on (seed, index) only. */
export function sampleScene(seed: number, index: number): Scene {
  if (!Number.isInteger(index) || index < 0) throw new Error(`sampleScene: index must be an integer ≥ 0, got ${index}`);
  const rng = new Random(seed).fork('synth.scene').fork(index);
  const count = MIN_OBJECTS + pickWeighted(rng, OBJECT_COUNT_WEIGHTS);
  const objects = assignMotion(rng, place(rng, drawAttributes(rng, count)));
  objects.sort((a, b) => a.x - b.x);
  return { id: sceneId(index), index, objects };
}

/** Index i with probability weights[i] (weights sum to 1). */
function pickWeighted(rng: Random, weights: readonly number[]): number {
  let u = rng.nextFloat();
  for (let i = 0; i < weights.length - 1; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}
