import { describe, expect, it } from 'vitest';
import type { Modality } from '../model/modalities.js';
import { BatchSchedule } from './schedule.js';
import type { TaskGroup } from './tasks.js';

/** A stage-3 group of `n` samples reading `signature`; each sample's tokens hold its index. */
function group(signature: Modality[], n: number): TaskGroup {
  return { key: { stage: 3, task: 'instruct', signature }, samples: Array.from({ length: n }, (_, i) => ({ tokens: [i] })) };
}

const GROUPS = [group(['text', 'image'], 40), group(['video'], 20)];

/** Every batch of epoch `epoch`, as (signature, sample indices). */
function epochBatches(s: BatchSchedule, epoch = 0): { sig: string; idx: number[] }[] {
  return Array.from({ length: s.perEpoch }, (_, i) => s.at(epoch * s.perEpoch + i)).map((b) => ({ sig: b.key.signature.join('+'), idx: b.samples.map((x) => x.tokens![0]!) }));
}

describe('BatchSchedule', () => {
  it('gives each sample once per epoch, in a seed-determined order', () => {
    const a = epochBatches(new BatchSchedule(GROUPS, 8, 1, 3));
    expect(a).toHaveLength(5 + 3); // 40/8 and 20/8 → 2 full + a partial of 4
    expect(a.filter((b) => b.sig === 'text+image').flatMap((b) => b.idx).sort((x, y) => x - y)).toEqual([...Array(40).keys()]);
    expect(epochBatches(new BatchSchedule(GROUPS, 8, 1, 3))).toEqual(a);
    expect(epochBatches(new BatchSchedule(GROUPS, 8, 2, 3))).not.toEqual(a);
  });

  it('task weights scale how often a task comes up; weight 1 leaves the plain schedule unchanged', () => {
    const plain = epochBatches(new BatchSchedule(GROUPS, 8, 1, 3));
    expect(epochBatches(new BatchSchedule(GROUPS, 8, 1, 3, undefined, { 'text+image': 1 }))).toEqual(plain);

    const weighted = epochBatches(new BatchSchedule(GROUPS, 8, 1, 3, undefined, { 'text+image': 2.5, video: 0.5 }));
    const images = weighted.filter((b) => b.sig === 'text+image');
    const counts = new Map<number, number>();
    for (const i of images.flatMap((b) => b.idx)) counts.set(i, (counts.get(i) ?? 0) + 1);
    expect([...counts.values()].reduce((s, c) => s + c, 0)).toBe(100); // round(2.5 · 40)
    expect(Math.min(...counts.values())).toBeGreaterThanOrEqual(2); // two full passes, then a random half
    expect(Math.max(...counts.values())).toBe(3);
    for (const b of images) expect(new Set(b.idx).size).toBe(b.idx.length); // no batch holds a sample twice
    const videos = weighted.filter((b) => b.sig === 'video').flatMap((b) => b.idx);
    expect(videos).toHaveLength(10);
    expect(new Set(videos).size).toBe(10);

    expect(epochBatches(new BatchSchedule(GROUPS, 8, 1, 3, undefined, { video: 0 })).every((b) => b.sig === 'text+image')).toBe(true);
  });

  it('refuses a weight for a task the stage does not have, and a negative weight', () => {
    expect(() => new BatchSchedule(GROUPS, 8, 1, 3, undefined, { 'text+imag': 2 })).toThrow(/no task reads 'text\+imag'; its tasks read 'text\+image', 'video'/);
    expect(() => new BatchSchedule(GROUPS, 8, 1, 3, undefined, { video: -1 })).toThrow(/'video' must be a number ≥ 0, got -1/);
    expect(() => new BatchSchedule(GROUPS, 8, 1, 3, undefined, { video: 0, 'text+image': 0 })).toThrow(/no training samples/);
  });
});
