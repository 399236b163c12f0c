/** Neural-network building blocks: modules that take a validated config and trace graph nodes. */
export * from './config.js';
export * from './embedding.js';
export * from './layer-norm.js';
export * from './linear.js';
export * from './mlp.js';
