import { mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestError } from './manifest.js';
import { loadManifest, type LoadedExample, type MediaOptions } from './manifest-loader.js';
import { ffmpegAvailable, setFfmpegPath } from './media/ffmpeg.js';
import { tempDir, tone, wavBytes, writeAudioFile, writeGreyVideo, writeStripes } from './media/test-fixtures.js';
import { encodeY4m444 } from './media/y4m.js';

const hasFfmpeg = ffmpegAvailable();
if (!hasFfmpeg) console.warn('ffmpeg not installed: skipping the mp3/mp4 manifest cases');

const media: MediaOptions = { image: { size: 8 }, audio: { sampleRate: 8000, samples: 4000 }, video: { frames: 3, size: 8 } };
let dir: string;
beforeAll(async () => {
  dir = tempDir();
  for (const sub of ['img', 'wav', 'vid']) mkdirSync(path.join(dir, sub));
  await writeStripes(path.join(dir, 'img/red.png'), 12, 10, [[255, 0, 0]]);
  await writeStripes(path.join(dir, 'img/green.jpg'), 10, 12, [[0, 255, 0]]);
  await writeStripes(path.join(dir, 'img/blue.webp'), 10, 10, [[0, 0, 255]]);
  writeFileSync(path.join(dir, 'img/broken.png'), 'not a png');
  writeFileSync(path.join(dir, 'wav/tone.wav'), wavBytes([tone(440, 16000, 0.5), tone(440, 16000, 0.5)], 16000));
  const wav = wavBytes([tone(440, 16000, 0.5)], 16000);
  writeFileSync(path.join(dir, 'wav/cut.wav'), wav.subarray(0, wav.length - 500));
  writeFileSync(path.join(dir, 'vid/grey.y4m'), encodeY4m444([10, 100, 200].map((v) => new Uint8Array(4 * 4 * 3).fill(v)), 4, 4));
  if (hasFfmpeg) {
    writeAudioFile(path.join(dir, 'wav/tone.mp3'), tone(440, 16000, 0.5), 16000);
    writeGreyVideo(path.join(dir, 'vid/grey.mp4'), [20, 60, 100, 140, 180, 220]);
  }
  writeFileSync(path.join(dir, 'vid/junk.mp4'), 'not a video');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let count = 0;
function manifest(rows: object[]): string {
  const file = path.join(dir, `m${count++}.jsonl`);
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

async function collect(file: string, skipBad = false): Promise<{ exs: LoadedExample[]; loader: ReturnType<typeof loadManifest> }> {
  const loader = loadManifest(file, { media, skipBad });
  const exs: LoadedExample[] = [];
  for await (const ex of loader) exs.push(ex);
  return { exs, loader };
}

describe('loadManifest', () => {
  it('decodes every media kind to the configured shapes, in manifest order', async () => {
    const rows: object[] = [
      { id: 'png', image: 'img/red.png', text: 'red', caption: 'a red square', split: 'train' },
      { id: 'jpg', image: 'img/green.jpg', question: 'colour?', answer: 'green', split: 'val' },
      { id: 'webp', image: 'img/blue.webp' },
      { id: 'wav', audio: 'wav/tone.wav' },
      { id: 'y4m', video: 'vid/grey.y4m', split: 'test' },
    ];
    if (hasFfmpeg) rows.push({ id: 'mp3', audio: 'wav/tone.mp3' }, { id: 'mp4', video: 'vid/grey.mp4', image: 'img/red.png', audio: 'wav/tone.wav' });
    const { exs, loader } = await collect(manifest(rows));
    expect(exs.map((e) => e.id)).toEqual(rows.map((r) => (r as { id: string }).id));
    const byId = Object.fromEntries(exs.map((e) => [e.id, e]));
    expect(byId.png.pixels).toHaveLength(3 * 64);
    expect(byId.png.pixels![0]).toBeCloseTo(1, 2); // R plane
    expect(byId.jpg.pixels![64 + 10]).toBeGreaterThan(0.9); // G plane
    expect(byId.webp.pixels![128 + 10]).toBeGreaterThan(0.9); // B plane
    expect(byId.jpg).toMatchObject({ question: 'colour?', answer: 'green', split: 'val', image: path.join(dir, 'img/green.jpg') });
    expect(byId.wav.waveform).toHaveLength(4000);
    expect(byId.y4m.frames).toHaveLength(3 * 3 * 64);
    expect(Math.abs(byId.y4m.frames![0] * 255 - 10)).toBeLessThan(3); // frame 0 of 3
    expect(Math.abs(byId.y4m.frames![2 * 192] * 255 - 200)).toBeLessThan(3); // frame 2
    if (hasFfmpeg) {
      expect(byId.mp3.waveform).toHaveLength(4000);
      expect(byId.mp4.frames).toHaveLength(3 * 3 * 64);
      expect(byId.mp4.pixels).toHaveLength(3 * 64);
    }
    expect(loader.report()).toMatchObject({ lines: rows.length, examples: rows.length, skipped: 0 });
  });

  it('an undecodable image or a truncated WAV is an error naming the line and the field', async () => {
    const cases: [object, string, RegExp][] = [
      [{ id: 'bad', image: 'img/broken.png' }, 'image', /field 'image': img\/broken\.png: cannot decode image/],
      [{ id: 'bad', audio: 'wav/cut.wav' }, 'audio', /field 'audio': wav\/cut\.wav: truncated WAV file/],
      [{ id: 'bad', video: 'vid/junk.mp4' }, 'video', hasFfmpeg ? /field 'video': vid\/junk\.mp4: ffmpeg could not decode/ : /ffmpeg is not installed/],
    ];
    for (const [row, field, reason] of cases) {
      const file = manifest([{ id: 'ok1', image: 'img/red.png' }, { id: 'ok2' }, row]);
      const err = await collect(file).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ManifestError);
      expect((err as ManifestError).line).toBe(3);
      expect((err as ManifestError).field).toBe(field);
      expect((err as ManifestError).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: `));
      expect((err as ManifestError).message).toMatch(reason);
    }
  });

  it('a video needing a missing ffmpeg is a bad line naming the file', async () => {
    const file = manifest([{ id: 'v', video: 'vid/junk.mp4' }]);
    setFfmpegPath('/nonexistent/ffmpeg');
    try {
      await expect(collect(file)).rejects.toThrow(/:1: field 'video': vid\/junk\.mp4: ffmpeg is not installed: needed to decode .*junk\.mp4/);
    } finally {
      setFfmpegPath(null);
    }
  });

  it('skipBad skips and counts both kinds of bad line; the good ones still come through', async () => {
    const file = manifest([
      { id: 'a', image: 'img/red.png' },
      { id: 'b', image: 'img/broken.png' },
      { id: 'c', audio: 'wav/cut.wav' },
      { id: 'd', image: 'img/missing.png' },
      { id: 'a' },
      { id: 'e', audio: 'wav/tone.wav', text: 'tone' },
    ]);
    const { exs, loader } = await collect(file, true);
    expect(exs.map((e) => e.id)).toEqual(['a', 'e']);
    const r = loader.report();
    expect(r).toMatchObject({ lines: 6, examples: 2, skipped: 4 });
    expect(r.errors.map((e) => [e.line, e.field])).toEqual(
      expect.arrayContaining([
        [2, 'image'],
        [3, 'audio'],
        [4, 'image'],
        [5, 'id'],
      ]),
    );
    expect(loader.summary()).toMatch(/^skipped 4 bad lines:/);
  });
});
