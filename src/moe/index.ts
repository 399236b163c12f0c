/** Sparse Mixture-of-Experts: router, capacity, dispatch, experts, combine, losses, and the layer. */
export * from './config.js';
export * from './router.js';
export * from './capacity.js';
export * from './dispatch.js';
export * from './dropless.js';
export * from './experts.js';
export * from './combine.js';
export * from './losses.js';
export * from './expert-choice.js';
export * from './moe-layer.js';
