/** The graph op set: importing this module registers every op schema. */
export * from './elementwise.js';
export * from './linalg.js';
export * from './reduce.js';
export * from './shape-ops.js';
export * from './indexing.js';
export * from './quantize.js';
export * from './signal.js';
export * from './random.js';
