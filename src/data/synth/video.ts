/**
 * The video of a scene: `frames` frames in which every object slides from its
 * image position by MOTION_DISTANCE (of the frame side) in its direction, at
 * constant speed; frame 0 is the image scene, the last frame the end point.
 */
import { renderObjects, toPlanar, type RgbImage } from './raster.js';
import { positionAt, type Scene } from './scene.js';
import type { Y4mVideo } from '../media/y4m.js';

export interface VideoOptions {
  /** Number of frames (default 8). */
  frames: number;
  /** Frame side in pixels (default 32). */
  size: number;
}

/** Time of frame f in [0, 1] (0 for a one-frame clip). */
export function frameTime(f: number, frames: number): number {
  return frames > 1 ? f / (frames - 1) : 0;
}

/** The frames of `scene` as 8-bit RGB images. */
export function renderVideoFrames(scene: Scene, opts: VideoOptions): RgbImage[] {
  if (!Number.isInteger(opts.frames) || opts.frames < 1) throw new Error(`renderVideoFrames: frames must be an integer ≥ 1, got ${opts.frames}`);
  return Array.from({ length: opts.frames }, (_, f) => {
    const t = frameTime(f, opts.frames);
    return renderObjects(
      scene.objects.map((o) => {
        const [x, y] = positionAt(o, t);
        return { ...o, x, y };
      }),
      opts.size,
    );
  });
}

/** The video of `scene`, ready for `writeY4m`: planar RGB frames [3, H, W] at `frames` frames per second (a one-second clip). */
export function renderVideo(scene: Scene, opts: VideoOptions): Y4mVideo {
  return { width: opts.size, height: opts.size, frames: renderVideoFrames(scene, opts).map(toPlanar), fps: [opts.frames, 1] };
}
