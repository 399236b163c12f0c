import { describe, expect, it } from 'vitest';
import { rgbToChw } from '../media/image.js';
import { writeY4m, Y4mReader } from '../media/y4m.js';
import { renderObjects, toPlanar } from './raster.js';
import { directionVector, sampleScene, type SceneObject } from './scene.js';
import { renderVideo } from './video.js';
import { BACKGROUND_RGB, COLOUR_RGB, MOTION_DISTANCE } from './vocab.js';

/**
 * Coverage-weighted centroid (pixels) of `o` in a planar [3, H, W] frame: each
 * pixel that is a mix of background and `o`'s colour weighs its share of the colour.
 */
function centroid(frame: Float32Array, size: number, o: SceneObject): [number, number] {
  const n = size * size;
  const bg = BACKGROUND_RGB.map((v) => v / 255);
  const dir = COLOUR_RGB[o.colour].map((v, c) => v / 255 - bg[c]!);
  const len2 = dir.reduce((s, v) => s + v * v, 0);
  let sx = 0;
  let sy = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = [0, 1, 2].map((c) => frame[c * n + i]! - bg[c]!);
    const a = d.reduce((s, v, c) => s + v * dir[c]!, 0) / len2; // share of the colour
    const residual = Math.hypot(...d.map((v, c) => v - a * dir[c]!));
    if (a < 0.02 || residual > 0.03) continue;
    const w = Math.min(1, a);
    sx += w * ((i % size) + 0.5);
    sy += w * (Math.floor(i / size) + 0.5);
    total += w;
  }
  if (total === 0) throw new Error(`no ${o.colour} pixels`);
  return [sx / total, sy / total];
}

describe('renderVideo', () => {
  it('starts at the image and moves each object the stated way (checked after a y4m round trip)', async () => {
    const size = 32;
    let checked = 0;
    for (let i = 0; i < 120; i++) {
      const scene = sampleScene(4, i);
      const video = renderVideo(scene, { frames: 8, size });
      expect(video.frames).toHaveLength(8);
      expect(video.fps).toEqual([8, 1]);
      expect(video.frames[0]).toEqual(toPlanar(renderObjects(scene.objects, size)));
      const y4m = await Y4mReader.open(writeY4m(video));
      const frames = [rgbToChw(await y4m.frameRgb(0), size, size), rgbToChw(await y4m.frameRgb(7), size, size)];
      await y4m.close();
      for (const o of scene.objects) {
        if (scene.objects.filter((p) => p.colour === o.colour).length > 1) continue; // centroids by colour need a unique colour
        const [x0, y0] = centroid(frames[0]!, size, o);
        const [x1, y1] = centroid(frames[1]!, size, o);
        const [dx, dy] = directionVector(o.motion);
        const along = (x1 - x0) * dx + (y1 - y0) * dy;
        const across = Math.abs((x1 - x0) * dy - (y1 - y0) * dx);
        if (o.motion === 'none') {
          expect(Math.hypot(x1 - x0, y1 - y0), `${scene.id} ${o.colour} still`).toBeLessThan(0.3);
        } else {
          expect(along, `${scene.id} ${o.colour} ${o.motion}`).toBeGreaterThan(0.85 * MOTION_DISTANCE * size);
          expect(along).toBeLessThan(1.15 * MOTION_DISTANCE * size);
          expect(across).toBeLessThan(0.3);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(150);
  });

  it('moves at constant speed: centroids step evenly frame to frame', () => {
    const scene = { id: 't', index: 0, objects: [{ shape: 'square', colour: 'green', size: 'large', x: 0.3, y: 0.5, motion: 'right' } as SceneObject] };
    const { frames } = renderVideo(scene, { frames: 5, size: 64 });
    const xs = frames.map((f) => centroid(f, 64, scene.objects[0]!)[0]);
    const steps = xs.slice(1).map((x, i) => x - xs[i]!);
    for (const s of steps) expect(s).toBeCloseTo((MOTION_DISTANCE * 64) / 4, 1);
  });
});
