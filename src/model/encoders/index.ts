/** The modality encoders: text tokens, image patches, audio log-mel time patches, video tubelets. */
export * from './config.js';
export * from './encoder-common.js';
export * from './patchify.js';
export * from './mel.js';
export * from './text-encoder.js';
export * from './image-encoder.js';
export * from './audio-encoder.js';
export * from './video-encoder.js';
