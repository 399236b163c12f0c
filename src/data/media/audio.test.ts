import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioBytes, decodeWav, fitLength, loadAudio, toMono, UnsupportedWavError } from './audio.js';
import { ffmpegAvailable, setFfmpegPath } from './ffmpeg.js';
import { amplitudeAt, rms, tempDir, tone, wavBytes, writeAudioFile, type WavDepth } from './test-fixtures.js';

const hasFfmpeg = ffmpegAvailable();
if (!hasFfmpeg) console.warn('ffmpeg not installed: skipping the mp3 decoding tests');

let dir: string;
beforeAll(() => {
  dir = tempDir();
});

describe('decodeWav', () => {
  const values = Float32Array.from([0, 0.5, -0.5, 0.25, -1]);
  it.each<[WavDepth, number]>([
    ['8', 1 / 127],
    ['16', 1 / 32767],
    ['24', 1e-6],
    ['32', 1e-6],
    ['32f', 0],
  ])('reads %s-bit samples as floats in [-1, 1]', (depth, tol) => {
    const a = decodeWav(wavBytes([values], 8000, depth));
    expect(a.sampleRate).toBe(8000);
    expect(a.channels).toHaveLength(1);
    for (let i = 0; i < values.length; i++) expect(Math.abs(a.channels[0][i] - values[i])).toBeLessThanOrEqual(tol + 1e-7);
  });

  it('keeps channels apart and toMono averages them', () => {
    const left = new Float32Array(100).fill(0.5);
    const right = new Float32Array(100).fill(-0.1);
    const a = decodeWav(wavBytes([left, right], 16000, '32f'));
    expect(a.channels).toHaveLength(2);
    expect(a.channels[1][3]).toBeCloseTo(-0.1, 6);
    const mono = toMono(a.channels);
    expect(mono).toHaveLength(100);
    expect(mono[50]).toBeCloseTo(0.2, 6);
  });

  it('rejects a truncated WAV, naming it', () => {
    const bytes = wavBytes([tone(440, 8000, 0.1)], 8000);
    expect(() => decodeWav(bytes.subarray(0, bytes.length - 100), 'clip.wav')).toThrow(/truncated WAV file clip\.wav: data chunk declares 1600 bytes, only 1500 present/);
    expect(() => decodeWav(bytes.subarray(0, 30), 'clip.wav')).toThrow(/invalid WAV file clip\.wav/);
  });

  it('rejects bytes that are not a WAV', () => {
    expect(() => decodeWav(new TextEncoder().encode('hello, I am not a wave file at all'), 'x.wav')).toThrow(/invalid WAV file x\.wav/);
  });
});

describe('loadAudio (WAV)', () => {
  it('mixes stereo to mono, then cuts or zero-pads to exactly `samples`', async () => {
    const file = path.join(dir, 'stereo.wav');
    writeFileSync(file, wavBytes([new Float32Array(800).fill(0.6), new Float32Array(800).fill(0.2)], 8000));
    const long = await loadAudio(file, { sampleRate: 8000, samples: 1000 });
    expect(long).toHaveLength(1000);
    expect(long[10]).toBeCloseTo(0.4, 3);
    expect(long[799]).toBeCloseTo(0.4, 3);
    expect(long[800]).toBe(0);
    expect(long[999]).toBe(0);
    const short = await loadAudio(file, { sampleRate: 8000, samples: 100 });
    expect(short).toHaveLength(100);
  });

  it('16 kHz → 8 kHz keeps a 440 Hz tone (frequency and level)', async () => {
    const file = path.join(dir, 'a440.wav');
    writeFileSync(file, wavBytes([tone(440, 16000, 1)], 16000));
    const y = await loadAudio(file, { sampleRate: 8000, samples: 8000 });
    const mid = y.subarray(500, 7500); // away from the zero-padded edges
    expect(amplitudeAt(mid, 440, 8000)).toBeGreaterThan(0.49);
    expect(amplitudeAt(mid, 440, 8000)).toBeLessThan(0.51);
    let crossings = 0;
    for (let i = 1; i < mid.length; i++) if (mid[i - 1] < 0 !== mid[i] < 0) crossings++;
    expect(crossings / (mid.length / 8000)).toBeGreaterThan(875); // 2 × 440 per second
    expect(crossings / (mid.length / 8000)).toBeLessThan(885);
  });

  it('16 kHz → 8 kHz removes a 6 kHz tone instead of aliasing it to 2 kHz', async () => {
    const file = path.join(dir, 'a6k.wav');
    writeFileSync(file, wavBytes([tone(6000, 16000, 1)], 16000, '32f'));
    const y = await loadAudio(file, { sampleRate: 8000, samples: 8000 });
    const mid = y.subarray(500, 7500);
    // naive decimation would give a 2 kHz tone of amplitude 0.5 (rms 0.35)
    expect(amplitudeAt(mid, 2000, 8000)).toBeLessThan(1e-3);
    expect(rms(mid)).toBeLessThan(1e-3);
  });

  it('8 kHz → 16 kHz keeps a tone and adds no images', async () => {
    const file = path.join(dir, 'up.wav');
    writeFileSync(file, wavBytes([tone(1000, 8000, 0.5)], 8000, '32f'));
    const y = await loadAudio(file, { sampleRate: 16000, samples: 8000 });
    const mid = y.subarray(1000, 7000);
    expect(amplitudeAt(mid, 1000, 16000)).toBeCloseTo(0.5, 2);
    expect(amplitudeAt(mid, 7000, 16000)).toBeLessThan(1e-3); // the image of 1 kHz around 8 kHz
  });

  it('names the file when it cannot be read or decoded', async () => {
    await expect(loadAudio(path.join(dir, 'none.wav'), { sampleRate: 8000, samples: 10 })).rejects.toThrow(/none\.wav/);
    const bad = path.join(dir, 'bad.wav');
    writeFileSync(bad, 'RIFF....WAVEjunk');
    await expect(loadAudio(bad, { sampleRate: 8000, samples: 10 })).rejects.toThrow(/invalid WAV file .*bad\.wav/);
  });

  it('decodeAudioBytes decodes WAV in memory', async () => {
    const y = await decodeAudioBytes(wavBytes([new Float32Array(50).fill(-0.25)], 8000, '32f'), 'wav', { sampleRate: 8000, samples: 60 });
    expect(y).toHaveLength(60);
    expect(y[10]).toBeCloseTo(-0.25, 5);
    expect(y[55]).toBe(0);
  });

  it('fitLength cuts and pads', () => {
    expect(Array.from(fitLength(Float32Array.from([1, 2, 3]), 2))).toEqual([1, 2]);
    expect(Array.from(fitLength(Float32Array.from([1, 2, 3]), 5))).toEqual([1, 2, 3, 0, 0]);
  });
});

describe('loadAudio (ffmpeg)', () => {
  it.skipIf(!hasFfmpeg)('decodes an mp3 to mono at the requested rate and length', async () => {
    const file = path.join(dir, 'a440.mp3');
    writeAudioFile(file, tone(440, 22050, 1), 22050);
    const y = await loadAudio(file, { sampleRate: 16000, samples: 12000 });
    expect(y).toHaveLength(12000);
    const mid = y.subarray(4000, 12000);
    expect(amplitudeAt(mid, 440, 16000)).toBeGreaterThan(0.4);
    expect(amplitudeAt(mid, 1000, 16000)).toBeLessThan(0.02);
    const bytes = await decodeAudioBytes(readFileSync(file), 'mp3', { sampleRate: 8000, samples: 4000 });
    expect(bytes).toHaveLength(4000);
    expect(rms(bytes.subarray(2000))).toBeGreaterThan(0.2);
  });

  it.skipIf(!hasFfmpeg)('a WAV in an encoding wavefile lacks (MP3-in-WAV) falls back to ffmpeg', async () => {
    const file = path.join(dir, 'mp3-in.wav');
    writeAudioFile(file, tone(440, 16000, 0.5), 16000, ['-c:a', 'libmp3lame']);
    expect(() => decodeWav(readFileSync(file), 'mp3-in.wav')).toThrow(UnsupportedWavError);
    const y = await loadAudio(file, { sampleRate: 16000, samples: 8000 });
    expect(amplitudeAt(y.subarray(2000, 6000), 440, 16000)).toBeGreaterThan(0.4);
  });

  it.skipIf(!hasFfmpeg)('names the file ffmpeg cannot decode', async () => {
    const file = path.join(dir, 'junk.mp3');
    writeFileSync(file, 'not audio at all');
    await expect(loadAudio(file, { sampleRate: 8000, samples: 10 })).rejects.toThrow(/ffmpeg could not decode .*junk\.mp3/);
  });

  it('without ffmpeg, says so and names the file', async () => {
    setFfmpegPath('/nonexistent/bin/ffmpeg');
    try {
      await expect(loadAudio(path.join(dir, 'song.ogg'), { sampleRate: 8000, samples: 10 })).rejects.toThrow(
        /^ffmpeg is not installed: needed to decode .*song\.ogg \(install the Debian package ffmpeg\)/,
      );
      await expect(decodeAudioBytes(new Uint8Array(10), 'mp3', { sampleRate: 8000, samples: 10 })).rejects.toThrow(
        /ffmpeg is not installed: needed to decode <mp3 bytes>/,
      );
    } finally {
      setFfmpegPath(null);
    }
  });
});

afterAll(() => rm(dir, { recursive: true, force: true }));
