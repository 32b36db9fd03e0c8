/**
 * Writes docs/transformers.md: the hand-written introduction (kept between the markers) followed by the
 * reference generated from the registry. `npm run docs:transformers`; src/transformers/reference.test.ts
 * fails when the file is stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transformersDocument } from '../src/transformers/reference-document.js';

const path = fileURLToPath(new URL('../docs/transformers.md', import.meta.url));
const current = await readFile(path, 'utf8').catch(() => '');
await writeFile(path, transformersDocument(current));
process.stdout.write(`wrote ${path}\n`);
