import { afterEach, describe, expect, it } from 'vitest';
import { FfmpegMissingError, ffmpegAvailable, ffmpegPath, ffprobePath, requireFfmpeg, runFfmpeg, setFfmpegPath } from './ffmpeg.js';

const saved = process.env.MIXMODAL_FFMPEG;
afterEach(() => {
  if (saved === undefined) delete process.env.MIXMODAL_FFMPEG;
  else process.env.MIXMODAL_FFMPEG = saved;
  setFfmpegPath(null);
});

describe('ffmpeg detection', () => {
  it('MIXMODAL_FFMPEG points at another binary (and ffprobe beside it)', () => {
    process.env.MIXMODAL_FFMPEG = '/opt/nowhere/ffmpeg';
    setFfmpegPath(null); // reset the cache
    expect(ffmpegPath()).toBe('/opt/nowhere/ffmpeg');
    expect(ffprobePath()).toBe('/opt/nowhere/ffprobe');
    expect(ffmpegAvailable()).toBe(false);
    expect(() => requireFfmpeg('talk.m4a')).toThrow(FfmpegMissingError);
    expect(() => requireFfmpeg('talk.m4a')).toThrow('ffmpeg is not installed: needed to decode talk.m4a (install the Debian package ffmpeg)');
  });

  it('setFfmpegPath overrides the environment and resets detection', () => {
    setFfmpegPath('/opt/nowhere/ffmpeg');
    expect(ffmpegPath()).toBe('/opt/nowhere/ffmpeg');
    expect(ffmpegAvailable()).toBe(false);
    setFfmpegPath(null);
    expect(ffmpegPath()).toBe(process.env.MIXMODAL_FFMPEG ?? 'ffmpeg');
  });

  it.skipIf(!ffmpegAvailable())('runFfmpeg returns stdout and stops at maxBytes', async () => {
    const out = await runFfmpeg(['-v', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '10', '-f', 'f32le', '-'], 'anullsrc', { maxBytes: 4000 });
    expect(out.length).toBe(4000);
  });
});
