/** Registers every VJP rule. */
import './elementwise.js';
import './linalg.js';
import './reduce.js';
import './shape-ops.js';
import './indexing.js';
import './quantize.js';
