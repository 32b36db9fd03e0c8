import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The layering of docs/architecture.md, checked over the import graph: each rule names a folder of src/
 * and the folders its files must not import from. Type-only imports count too: a type from a layer
 * above is a dependency on it all the same.
 */
const RULES: ReadonlyArray<{ from: string; forbidden: readonly string[]; except?: readonly string[]; exceptFiles?: readonly string[] }> = [
  { from: 'destinations', forbidden: ['sources', 'cli', 'operations'] },
  { from: 'subset', forbidden: ['sources', 'destinations', 'cli', 'operations'] },
  { from: 'encode', forbidden: ['sources', 'destinations', 'cli', 'operations'] },
  { from: 'restore-selection', forbidden: ['sources', 'cli', 'operations'] },
  // The engine table (src/engines/index.ts) is where each engine's source and destination are found: it
  // alone reaches up; the per-engine folders hold what both share, and never a source or a destination.
  { from: 'engines', forbidden: ['sources', 'destinations', 'subset', 'cli', 'operations'], exceptFiles: ['engines/index.ts'] },
  { from: 'transformers', forbidden: ['encode', 'sources', 'destinations', 'engines', 'subset', 'cli', 'operations'] },
  { from: '', forbidden: ['cli'], except: ['cli'] },
];

const SRC = path.dirname(fileURLToPath(import.meta.url));
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    // Tests may reach across layers to build their fixtures; the rules are for the product's code.
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

/** The top folder of src/ a path lies in ('' for a file directly in src/). */
function layerOf(file: string): string {
  const parts = path.relative(SRC, file).split(path.sep);
  return parts.length > 1 ? (parts[0] as string) : '';
}

export function layeringViolations(files: ReadonlyArray<{ file: string; text: string }>): string[] {
  const violations: string[] = [];
  for (const { file, text } of files) {
    const layer = layerOf(file);
    for (const match of text.matchAll(IMPORT)) {
      const target = layerOf(path.resolve(path.dirname(file), (match[1] ?? match[2]) as string));
      for (const rule of RULES) {
        const exempt = (rule.exceptFiles ?? []).includes(path.relative(SRC, file).split(path.sep).join('/'));
        const applies = !exempt && (rule.from === '' ? !(rule.except ?? []).includes(layer) : rule.from === layer);
        if (applies && rule.forbidden.includes(target) && target !== layer) {
          violations.push(`${path.relative(SRC, file)} imports from src/${target}/ (${match[1] ?? match[2]})`);
        }
      }
    }
  }
  return violations;
}

describe('layering', () => {
  it('src/ keeps its layers: no destination, subset or encoder reads a source; only the CLI imports the CLI', () => {
    const files = sourceFiles(SRC).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
    expect(files.length).toBeGreaterThan(100);
    expect(layeringViolations(files)).toEqual([]);
  });

  it('the check sees a violation, static or dynamic', () => {
    const planted = [
      { file: path.join(SRC, 'destinations/postgres/x.ts'), text: "import { a } from '../../sources/postgres/b.js';" },
      { file: path.join(SRC, 'reporting/y.ts'), text: "const m = await import('../cli/main.js');" },
      { file: path.join(SRC, 'transformers/z.ts'), text: "export type { Q } from '../encode/q.js';" },
      { file: path.join(SRC, 'cli/ok.ts'), text: "import { b } from './commands/b.js';" },
      { file: path.join(SRC, 'engines/index.ts'), text: "const s = await import('../sources/postgres/postgres-source.js');" },
      { file: path.join(SRC, 'engines/mysql/x.ts'), text: "import { d } from '../../destinations/mysql/d.js';" },
    ];
    expect(layeringViolations(planted)).toEqual([
      'destinations/postgres/x.ts imports from src/sources/ (../../sources/postgres/b.js)',
      'reporting/y.ts imports from src/cli/ (../cli/main.js)',
      'transformers/z.ts imports from src/encode/ (../encode/q.js)',
      'engines/mysql/x.ts imports from src/destinations/ (../../destinations/mysql/d.js)',
    ]);
  });
});
