/** The modalities mixmodal reads, in the fixed order used by gate weights and statistics. */
export const MODALITIES = ['text', 'image', 'audio', 'video'] as const;
export type Modality = (typeof MODALITIES)[number];

/** The modalities read from media files (everything but text), in MODALITIES order. */
export const MEDIA_MODALITIES = ['image', 'audio', 'video'] as const;
export type MediaModality = (typeof MEDIA_MODALITIES)[number];

/** Index of a modality in MODALITIES (gate weight column, modality id of its tokens). */
export function modalityIndex(m: Modality): number {
  return MODALITIES.indexOf(m);
}

/** The present modalities in canonical order, e.g. 'image+text' → ['text', 'image']; a batch's "modality signature". */
export function modalitySignature(present: Iterable<Modality>): Modality[] {
  const set = new Set(present);
  for (const m of set) if (!MODALITIES.includes(m)) throw new Error(`unknown modality '${String(m)}' (expected one of ${MODALITIES.join(', ')})`);
  return MODALITIES.filter((m) => set.has(m));
}

/** Every non-empty subset of the modalities (15 signatures). */
export function allSignatures(): Modality[][] {
  const out: Modality[][] = [];
  for (let mask = 1; mask < 1 << MODALITIES.length; mask++) out.push(MODALITIES.filter((_, i) => mask & (1 << i)));
  return out;
}
