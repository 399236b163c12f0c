/**
 * Re-exports a model folder's ONNX inference graphs (every modality signature
 * and the decoder graphs) from its own weights with the current code, e.g.
 * after a change to how graphs are built. Weights, tokenizer, config and model
 * card are written back unchanged.
 *
 *   npx tsx scripts/export-model.ts [DIR]   (default models/mm-small-synth)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allSignatures } from '../src/model/modalities.js';
import { loadModelFolder, MODEL_FILES, saveModelFolder } from '../src/train/model-folder.js';

const dir = process.argv[2] ?? 'models/mm-small-synth';
const folder = await loadModelFolder(dir);
if (!folder.weightsFile.endsWith(MODEL_FILES.weights)) throw new Error(`${dir}: weights come from ${folder.weightsFile}; export a model folder (${MODEL_FILES.weights}), not a run`);
const card = readFileSync(join(dir, MODEL_FILES.card), 'utf8');
const files = await saveModelFolder(dir, { cfg: folder.rawConfig, params: folder.params, tokenizer: folder.tokenizer, exportSignatures: allSignatures(), card });
console.log(`${dir}: wrote ${files.join(', ')}`);
