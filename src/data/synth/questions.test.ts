import { describe, expect, it } from 'vitest';
import { Random } from '../../graph/random.js';
import { sceneText } from './examples.js';
import { askQuestion, MOTION_FAMILIES, SCENE_FAMILIES } from './questions.js';
import { sampleScene } from './scene.js';
import { oracleAnswer, parseImageCaption, parseVideoCaption } from './testing.js';
import { describe as describeObject } from './captions.js';

const SEED = 3;
const scenes = Array.from({ length: 1500 }, (_, i) => sampleScene(SEED, i));
const texts = scenes.map((s) => sceneText(s, SEED, { questions: 3, audioQuestions: 1, videoQuestions: 1 }));

describe('captions', () => {
  it('list the objects left to right with size, colour and shape', () => {
    scenes.forEach((s, i) => expect(parseImageCaption(texts[i]!.caption)).toEqual(s.objects.map(describeObject)));
    expect(texts.find((t) => t.caption.includes(' left of '))?.caption).toMatch(/^a \w+ \w+ \w+ left of a \w+ \w+ \w+$/);
  });

  it('video captions state every object’s motion, in order, with unambiguous names', () => {
    scenes.forEach((s, i) => {
      const parsed = parseVideoCaption(s, texts[i]!.videoCaption);
      expect(parsed.map((p) => p.object)).toEqual(s.objects);
      expect(parsed.map((p) => p.motion)).toEqual(s.objects.map((o) => o.motion));
    });
  });
});

describe('questions', () => {
  it('every answer agrees with the independent oracle and is one to four words', () => {
    scenes.forEach((s, i) => {
      const t = texts[i]!;
      for (const qa of [...t.imageQa, ...t.audioQa, ...t.videoQa]) {
        expect(oracleAnswer(s, qa.question), `${s.id}: ${qa.question}`).toBe(qa.answer);
        expect(qa.answer.split(' ').length).toBeLessThanOrEqual(4);
      }
    });
  });

  it('asks the requested number from distinct families; motion questions only about motion', () => {
    for (const t of texts) {
      expect(t.imageQa).toHaveLength(3);
      expect(new Set(t.imageQa.map((q) => q.family)).size).toBe(3);
      expect(t.audioQa).toHaveLength(1);
      expect(t.videoQa).toHaveLength(1);
      for (const q of [...t.imageQa, ...t.audioQa]) expect(SCENE_FAMILIES).toContain(q.family);
      expect(MOTION_FAMILIES).toContain(t.videoQa[0]!.family);
    }
  });

  it('covers every family, and every family’s answers agree with the oracle', () => {
    const rng = new Random(11);
    for (const family of [...SCENE_FAMILIES, ...MOTION_FAMILIES]) {
      let asked = 0;
      for (const s of scenes.slice(0, 300)) {
        const qa = askQuestion(s, family, rng);
        if (!qa) continue;
        asked++;
        expect(oracleAnswer(s, qa.question), `${s.id}: ${qa.question}`).toBe(qa.answer);
      }
      expect(asked, family).toBeGreaterThan(20);
    }
  });

  it('yes/no answers are balanced, overall and per family', () => {
    const tally = new Map<string, { yes: number; no: number }>();
    for (const t of texts) {
      for (const qa of [...t.imageQa, ...t.audioQa, ...t.videoQa]) {
        if (qa.answer !== 'yes' && qa.answer !== 'no') continue;
        const c = tally.get(qa.family) ?? { yes: 0, no: 0 };
        c[qa.answer]++;
        tally.set(qa.family, c);
      }
    }
    let yes = 0;
    let no = 0;
    for (const [family, c] of tally) {
      yes += c.yes;
      no += c.no;
      if (c.yes + c.no >= 100) expect(c.yes / (c.yes + c.no), family).toBeGreaterThan(0.4);
      if (c.yes + c.no >= 100) expect(c.yes / (c.yes + c.no), family).toBeLessThan(0.6);
    }
    expect(yes + no).toBeGreaterThan(500);
    expect(yes / (yes + no)).toBeGreaterThan(0.45);
    expect(yes / (yes + no)).toBeLessThan(0.55);
  });

  it('answers to count questions include zero but are not dominated by it', () => {
    const counts = texts.flatMap((t) => t.imageQa).filter((q) => q.family === 'count-shape' || q.family === 'count-colour');
    const zeros = counts.filter((q) => q.answer === 'zero').length / counts.length;
    expect(zeros).toBeGreaterThan(0.1);
    expect(zeros).toBeLessThan(0.5);
  });
});
