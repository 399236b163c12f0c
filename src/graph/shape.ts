/**
 * Shapes with static and named dimensions, and the broadcasting rules of ONNX
 * (numpy-style, right-aligned).
 */

/** A dimension: a fixed size, or a name such as `batch` whose size is known only at run time. */
export type Dim = number | string;
export type Shape = readonly Dim[];

let freshDimCounter = 0;

/** A new, unique symbolic dimension for sizes that shape inference cannot know (e.g. NonZero's count). */
export function freshDim(hint = 'd'): string {
  freshDimCounter += 1;
  return `${hint}_${freshDimCounter}`;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function isStaticShape(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

/** Product of a static shape, or undefined when any dim is symbolic. */
export function staticNumel(shape: Shape): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

export function dimsEqual(a: Dim, b: Dim): boolean {
  return a === b;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Broadcast shapes (ONNX multidirectional broadcasting). A named dim is
 * assumed compatible with a number other than 1 (the number wins) and with
 * the same name; two different names are assumed equal (the first is kept).
 * Throws on two different static sizes neither of which is 1.
 */
export function broadcastShapes(...shapes: Shape[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i];
      if (d === undefined || d === 1) continue;
      if (dim === 1) {
        dim = d;
      } else if (typeof dim === 'number' && typeof d === 'number') {
        if (dim !== d) {
          throw new Error(`shapes ${shapes.map(formatShape).join(' and ')} do not broadcast (dim ${i}: ${dim} vs ${d})`);
        }
      } else if (typeof dim === 'string' && typeof d === 'number') {
        dim = d;
      }
    }
    out.push(dim);
  }
  return out;
}

/** Normalises a possibly negative axis for a tensor of rank `rank`. */
export function normAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new Error(`${what} ${axis} is out of range for rank ${rank}`);
  }
  return a;
}
