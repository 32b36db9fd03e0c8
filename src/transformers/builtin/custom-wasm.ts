import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { ReplibyteError } from '../../errors.js';
import { fitLength } from '../column-types.js';
import { defineTransformer } from '../transformer.js';

/**
 * The original's `custom-wasm`: a WASI module at `path`; the value plus a newline goes to its stdin,
 * `_start` runs in a fresh instance per value, and its stdout (trimmed) is the new value. NULL is never
 * passed. The module is compiled once, when the dump starts (a missing or invalid file is refused then).
 */
export const customWasm = defineTransformer({
  name: 'custom-wasm',
  description: 'Runs a WASI WebAssembly module per value: the value and a newline on stdin, the trimmed stdout is the result (as the original).',
  options: z.strictObject({ path: z.string().min(1) }),
  deterministic: true,
  unique: 'keeps',
  accepts: 'any (the module answers in the column\'s text form, cut to a varchar(n)/char(n) length)',
  examples: [],
  create: (options, { column }) => {
    let module: WebAssembly.Module;
    try {
      module = new WebAssembly.Module(readFileSync(options.path));
    } catch (error) {
      throw new ReplibyteError(`cannot load the WebAssembly module ${options.path}: ${(error as Error).message}`);
    }
    // node:wasi prints an "experimental" warning when loaded: load it only when a config uses it.
    const { WASI } = createRequire(import.meta.url)('node:wasi') as typeof import('node:wasi');
    const dir = mkdtempSync(join(tmpdir(), 'replibyte-wasm-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const inPath = join(dir, 'stdin');
    const outPath = join(dir, 'stdout');
    return (value) => {
      if (value === null) return null;
      writeFileSync(inPath, `${value}\n`);
      const stdin = openSync(inPath, 'r');
      const stdout = openSync(outPath, 'w+');
      try {
        const wasi = new WASI({ version: 'preview1', args: [options.path], env: {}, stdin, stdout, stderr: 2, returnOnExit: true });
        const instance = new WebAssembly.Instance(module, wasi.getImportObject() as WebAssembly.Imports);
        const code = wasi.start(instance);
        if (code !== 0) throw new Error(`the WebAssembly module ${options.path} exited with code ${code}`);
      } finally {
        closeSync(stdin);
        closeSync(stdout);
      }
      // Cut to the declared length, as the built-in text transformers are (a varchar(5) refuses a longer value).
      return fitLength(readFileSync(outPath, 'utf8').trim(), column);
    };
  },
});
