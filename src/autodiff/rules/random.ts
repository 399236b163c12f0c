/** VJP of RandomUniformLike: none (the noise depends on the input's shape, not its values). */
import { defineVjp } from '../vjp-registry.js';

defineVjp('RandomUniformLike', () => [null]);
