import { OBJECT_COUNT_WEIGHTS } from './vocab.js';
import { describe, expect, it } from 'vitest';
import { collide, extentOf, positionAt, sampleScene, sceneId, type SceneObject } from './scene.js';

const scenes = Array.from({ length: 500 }, (_, i) => sampleScene(7, i));

describe('sampleScene', () => {
  it('is a pure function of (seed, index)', () => {
    expect(sampleScene(7, 123)).toEqual(scenes[123]);
    expect(sampleScene(8, 123)).not.toEqual(scenes[123]);
    expect(sampleScene(7, 0).id).toBe('s000000');
    expect(sceneId(1234567)).toBe('s1234567');
  });

  it('has 1–3 objects in the proportions OBJECT_COUNT_WEIGHTS, with distinct (size, colour, shape)', () => {
    const counts = [0, 0, 0, 0];
    for (const s of scenes) {
      counts[s.objects.length]!++;
      const keys = s.objects.map((o) => `${o.size} ${o.colour} ${o.shape}`);
      expect(new Set(keys).size).toBe(keys.length);
    }
    expect(counts[0]).toBe(0);
    for (const k of [1, 2, 3]) expect(Math.abs(counts[k]! / scenes.length - OBJECT_COUNT_WEIGHTS[k - 1]!)).toBeLessThan(0.04);
  });

  it('sorts objects left to right with clearly different x', () => {
    for (const s of scenes) for (let i = 1; i < s.objects.length; i++) expect(s.objects[i]!.x - s.objects[i - 1]!.x).toBeGreaterThan(0.2);
  });

  it('keeps every object inside the frame and apart from the others for the whole clip', () => {
    let moving = 0;
    for (const s of scenes) {
      for (const o of s.objects) {
        if (o.motion !== 'none') moving++;
        const e = extentOf(o.shape, o.size);
        for (const t of [0, 0.5, 1]) {
          const [x, y] = positionAt(o, t);
          expect(x - e.left).toBeGreaterThanOrEqual(-1e-12);
          expect(x + e.right).toBeLessThanOrEqual(1 + 1e-12);
          expect(y - e.top).toBeGreaterThanOrEqual(-1e-12);
          expect(y + e.bottom).toBeLessThanOrEqual(1 + 1e-12);
        }
      }
      for (let i = 0; i < s.objects.length; i++) for (let j = i + 1; j < s.objects.length; j++) expect(collide(s.objects[i]!, s.objects[j]!)).toBe(false);
    }
    expect(moving).toBeGreaterThan(300); // most objects move
  });
});

describe('collide', () => {
  const base: SceneObject = { shape: 'circle', colour: 'red', size: 'large', x: 0.2, y: 0.5, motion: 'none' };
  it('detects objects that pass through each other mid-clip but not at either end', () => {
    const a = { ...base, x: 0.3, motion: 'right' as const };
    const b = { ...base, x: 0.5, motion: 'left' as const, colour: 'blue' as const };
    // Ends: 0.5 → 0.3 apart 0.0 at t=0.5; a crosses b.
    expect(collide(a, b)).toBe(true);
    expect(collide({ ...a, motion: 'none' }, { ...b, x: 0.8, motion: 'none' })).toBe(false);
    expect(collide({ ...a, x: 0.2, motion: 'up' }, { ...b, x: 0.8, motion: 'down' })).toBe(false);
  });
});
