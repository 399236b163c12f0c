/**
 * The layering rule of DESIGN.md §3: source files import one way,
 * graph → autodiff → runtime → nn → moe → model → data → train → compress →
 * serve → apps → cli. Tests and test helpers may reach up; source may not.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LAYERS = ['graph', 'autodiff', 'runtime', 'nn', 'moe', 'model', 'data', 'train', 'compress', 'serve', 'apps', 'cli'] as const;

const SRC = dirname(fileURLToPath(import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !/testing|test-helpers|fake-/.test(name) ? [path] : [];
  });
}

/** `from 'x'` and `import('x')` specifiers of a file's relative imports. */
function relativeImports(text: string): string[] {
  return [...text.matchAll(/(?:from\s+|import\()\s*'(\.[^']+)'/g)].map((m) => m[1]!);
}

/** The layer of a path under src/, or undefined for files outside the layers. */
const layerOf = (path: string): number => LAYERS.indexOf(relative(SRC, path).split(/[\\/]/)[0] as (typeof LAYERS)[number]);

describe('layering', () => {
  it('no source file imports from a higher layer', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = layerOf(file);
      if (from < 0) continue;
      for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
        const to = layerOf(normalize(join(dirname(file), spec)));
        if (to > from) violations.push(`${relative(SRC, file)} imports ${spec} (${LAYERS[from]} → ${LAYERS[to]})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('sees an upward import when there is one (the check can fail)', () => {
    const file = join(SRC, 'model', 'x.ts');
    const [spec] = relativeImports(`import { loadTokenizer } from '../data/tokenizer/tokenizer-file.js';`);
    expect(layerOf(normalize(join(dirname(file), spec!)))).toBeGreaterThan(layerOf(file));
  });
});
