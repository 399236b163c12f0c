/** The synthetic multimodal world: scenes, their words, pictures, sounds and videos, and the data-set writer. */
export * from './vocab.js';
export * from './scene.js';
export * from './captions.js';
export * from './questions.js';
export * from './examples.js';
export * from './raster.js';
export * from './audio.js';
export * from './video.js';
export { writeY4m, type Y4mVideo } from '../media/y4m.js';
export * from './splits.js';
export * from './generate.js';
