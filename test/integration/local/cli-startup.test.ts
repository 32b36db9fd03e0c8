import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Every command pays for what the CLI imports before it parses its arguments: `local reset` between two
 * test files should not load MongoDB's driver (about 2 s of a loaded machine's start-up, measured) or
 * mysql2. The drivers load on demand (`await import`); this walks the static imports of the built CLI
 * (dist/, which test/global-setup.ts builds) and fails when one of them comes back.
 */
const DIST = fileURLToPath(new URL('../../../dist/', import.meta.url));
const STATIC_IMPORT = /^import\s+(?:[^'";]*?\s+from\s+)?["']([^"']+)["'];?$/gm;

function staticClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const [, target] of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      if (target!.startsWith('.')) visit(join(dirname(file), target!));
      else packages.add(target!.startsWith('@') ? target!.split('/').slice(0, 2).join('/') : target!.split('/')[0]!);
    }
  };
  visit(join(DIST, entry));
  return { files, packages };
}

describe('CLI start-up', () => {
  it('imports no database driver but pg before a command runs', () => {
    const { files, packages } = staticClosure('cli.js');
    expect(files.size).toBeGreaterThan(3);
    expect(packages).toContain('commander');
    expect(packages).toContain('pg');
    expect([...packages].filter((name) => ['mongodb', 'mysql2', 'bson'].includes(name))).toEqual([]);
  });
});
