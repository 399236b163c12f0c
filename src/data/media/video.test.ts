import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegAvailable, setFfmpegPath } from './ffmpeg.js';
import { tempDir, writeGreyVideo } from './test-fixtures.js';
import { decodeVideoBytes, evenFrameIndices, loadVideo } from './video.js';
import { encodeY4m444 } from './y4m.js';

const hasFfmpeg = ffmpegAvailable();
if (!hasFfmpeg) console.warn('ffmpeg not installed: skipping the mp4/webm decoding tests');

let dir: string;
const levels = Array.from({ length: 10 }, (_, i) => 20 + i * 22); // frame i is grey level 20 + 22·i
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The grey level (0–255) of frame k's top-left pixel in a [F, 3, S, S] clip. */
const greyOf = (clip: Float32Array, size: number, k: number): number => clip[k * 3 * size * size] * 255;
/** Which source frame a decoded grey level came from. */
const frameOf = (grey: number): number => Math.round((grey - 20) / 22);

describe('evenFrameIndices', () => {
  it('takes the centres of F equal segments, repeating when the clip is short', () => {
    expect(evenFrameIndices(10, 4)).toEqual([1, 3, 6, 8]);
    expect(evenFrameIndices(10, 1)).toEqual([5]);
    expect(evenFrameIndices(10, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(evenFrameIndices(2, 4)).toEqual([0, 0, 1, 1]);
  });
});

describe('loadVideo (.y4m, no ffmpeg)', () => {
  it('samples F frames evenly, resized to [F, 3, size, size]', async () => {
    const frames = levels.map((v) => new Uint8Array(8 * 6 * 3).fill(v));
    const file = path.join(dir, 'grey.y4m');
    writeFileSync(file, encodeY4m444(frames, 8, 6));
    const clip = await loadVideo(file, { frames: 4, size: 4 });
    expect(clip).toHaveLength(4 * 3 * 4 * 4);
    expect([0, 1, 2, 3].map((k) => frameOf(greyOf(clip, 4, k)))).toEqual([1, 3, 6, 8]);
    const long = await decodeVideoBytes(readFileSync(file), 'y4m', { frames: 20, size: 2 });
    expect(long).toHaveLength(20 * 12);
    expect(frameOf(greyOf(long, 2, 0))).toBe(0);
    expect(frameOf(greyOf(long, 2, 19))).toBe(9);
  });
});

describe('loadVideo (ffmpeg)', () => {
  it.skipIf(!hasFfmpeg)('an mp4 gives [F, 3, size, size] with frames sampled evenly', async () => {
    const file = path.join(dir, 'grey.mp4');
    writeGreyVideo(file, levels);
    const clip = await loadVideo(file, { frames: 4, size: 8 });
    expect(clip).toHaveLength(4 * 3 * 8 * 8);
    expect([0, 1, 2, 3].map((k) => frameOf(greyOf(clip, 8, k)))).toEqual([1, 3, 6, 8]);
    const short = await loadVideo(file, { frames: 13, size: 4 });
    expect(short).toHaveLength(13 * 3 * 16);
    expect(frameOf(greyOf(short, 4, 12))).toBe(9);
    const mem = await decodeVideoBytes(readFileSync(file), 'mp4', { frames: 2, size: 4 });
    expect([0, 1].map((k) => frameOf(greyOf(mem, 4, k)))).toEqual([2, 7]);
  });

  it.skipIf(!hasFfmpeg)('a webm (no frame count in the container) is sampled the same way', async () => {
    const file = path.join(dir, 'grey.webm');
    writeGreyVideo(file, levels);
    const clip = await loadVideo(file, { frames: 4, size: 8 });
    expect([0, 1, 2, 3].map((k) => frameOf(greyOf(clip, 8, k)))).toEqual([1, 3, 6, 8]);
  });

  it.skipIf(!hasFfmpeg)('names a file ffmpeg cannot decode', async () => {
    const file = path.join(dir, 'junk.mp4');
    writeFileSync(file, 'not a video');
    await expect(loadVideo(file, { frames: 2, size: 4 })).rejects.toThrow(/ffmpeg could not decode .*junk\.mp4/);
  });

  it('without ffmpeg, says so and names the file', async () => {
    setFfmpegPath('/nonexistent/bin/ffmpeg');
    try {
      await expect(loadVideo(path.join(dir, 'clip.mp4'), { frames: 2, size: 4 })).rejects.toThrow(
        /^ffmpeg is not installed: needed to decode .*clip\.mp4 \(install the Debian package ffmpeg\)/,
      );
      await expect(decodeVideoBytes(new Uint8Array(4), 'webm', { frames: 2, size: 4 })).rejects.toThrow(/needed to decode <webm bytes>/);
    } finally {
      setFfmpegPath(null);
    }
  });
});
