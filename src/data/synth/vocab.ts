/**
 * The vocabulary of the synthetic world and how each attribute looks and sounds.
 *
 * Kept deliberately small (4 colours × 3 shapes × 2 sizes, 1–3 objects) so a
 * 2-core machine can learn it in minutes. The sound mapping is documented in
 * ./README.md; every number here is also written to DIR/synth.json.
 */

export const SHAPES = ['circle', 'square', 'triangle'] as const;
export const COLOURS = ['red', 'green', 'blue', 'yellow'] as const;
export const SIZES = ['small', 'large'] as const;
/** Motion of an object in the video; `none` = stays still. */
export const DIRECTIONS = ['left', 'right', 'up', 'down', 'none'] as const;

export type Shape = (typeof SHAPES)[number];
export type Colour = (typeof COLOURS)[number];
export type Size = (typeof SIZES)[number];
export type Direction = (typeof DIRECTIONS)[number];

/** Fewest and most objects in a scene. */
export const MIN_OBJECTS = 1;
export const MAX_OBJECTS = 3;
/**
 * Probability of 1, 2 and 3 objects in a scene. Few one-object scenes: there
 * are only 24 of them, so in a test split of hundreds of scenes many would
 * share a caption and retrieval between them would be a coin toss.
 */
export const OBJECT_COUNT_WEIGHTS = [0.1, 0.4, 0.5] as const;

/** Number words used in answers ("how many …?"). */
export const NUMBER_WORDS = ['zero', 'one', 'two', 'three'] as const;

/** sRGB fill of each colour, 0..255. */
export const COLOUR_RGB: Record<Colour, readonly [number, number, number]> = {
  red: [220, 40, 40],
  green: [40, 180, 70],
  blue: [50, 90, 230],
  yellow: [240, 210, 40],
};

/** Plain background of images and video frames, 0..255. */
export const BACKGROUND_RGB: readonly [number, number, number] = [32, 32, 32];

/**
 * Size of an object in units of the image side: the radius of a circle; a
 * square and a triangle have the same area as the circle of that radius.
 */
export const SIZE_RADIUS: Record<Size, number> = { small: 0.07, large: 0.11 };

/** Sound mapping — pitch by colour: the fundamental in Hz (C4, E4, G4, C5). */
export const COLOUR_PITCH_HZ: Record<Colour, number> = { red: 262, green: 330, blue: 392, yellow: 523 };

/** Sound mapping — timbre by shape: the band-limited waveform of the tone. */
export const SHAPE_WAVEFORM: Record<Shape, 'sine' | 'square' | 'sawtooth'> = {
  circle: 'sine',
  square: 'square',
  triangle: 'sawtooth',
};

/** Sound mapping — loudness by size: peak amplitude of the tone (full scale = 1). */
export const SIZE_AMPLITUDE: Record<Size, number> = { small: 0.35, large: 0.8 };

/** Distance an object moves over the whole video clip, in units of the frame side. */
export const MOTION_DISTANCE = 0.2;

/** Plural of a shape word ("how many circles …"). */
export function plural(shape: Shape): string {
  return `${shape}s`;
}

/** The number word for 0..3, e.g. 2 → "two". */
export function numberWord(n: number): string {
  const w = NUMBER_WORDS[n];
  if (w === undefined) throw new Error(`numberWord: no word for ${n} (expected 0..${NUMBER_WORDS.length - 1})`);
  return w;
}
