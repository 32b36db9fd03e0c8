import { createCipheriv } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { readScript } from '../../../src/encode/sql-script-reader.js';

/**
 * Test-only: writes a datastore the way the original Replibyte did (shared/replibyte-reference.md §6),
 * from that description alone: `<name>/<n>.dump` chunks of whole statements joined by newlines, zlib,
 * then AES-256-GCM with the passphrase cut or 'x'-padded to 32 bytes and the fixed nonce
 * "unique nonce", stored as ciphertext || tag; and the `metadata.json` index.
 */
export interface LegacyDumpSpec {
  name: string;
  script: Buffer;
  chunks: number;
  createdAt: number;
  compressed: boolean;
  passphrase?: string;
}

function originalKey(passphrase: string): Buffer {
  const key = Buffer.alloc(32, 'x');
  Buffer.from(passphrase, 'utf8').copy(key, 0, 0, 32);
  return key;
}

async function statementsOf(script: Buffer): Promise<string[]> {
  const statements: string[] = [];
  for await (const event of readScript((async function* () {
    yield script;
  })())) {
    if (event.kind === 'statement') statements.push(event.sql);
    else if (event.kind === 'meta') statements.push(event.line);
    else throw new Error('the original wrote --column-inserts scripts: no COPY blocks');
  }
  return statements;
}

export async function writeLegacyDump(dir: string, spec: LegacyDumpSpec): Promise<{ storedBytes: number; chunkFiles: string[] }> {
  const statements = await statementsOf(spec.script);
  if (statements.length < spec.chunks) throw new Error('fewer statements than chunks');
  await mkdir(join(dir, spec.name), { recursive: true });
  const perChunk = Math.ceil(statements.length / spec.chunks);
  let storedBytes = 0;
  const chunkFiles: string[] = [];
  for (let n = 1; (n - 1) * perChunk < statements.length; n += 1) {
    let bytes = Buffer.from(statements.slice((n - 1) * perChunk, n * perChunk).join('\n'), 'utf8');
    if (spec.compressed) bytes = deflateSync(bytes);
    if (spec.passphrase) {
      const cipher = createCipheriv('aes-256-gcm', originalKey(spec.passphrase), Buffer.from('unique nonce'));
      bytes = Buffer.concat([cipher.update(bytes), cipher.final(), cipher.getAuthTag()]);
    }
    const file = join(spec.name, `${n}.dump`);
    await writeFile(join(dir, file), bytes);
    chunkFiles.push(file);
    storedBytes += bytes.length;
  }
  const indexPath = join(dir, 'metadata.json');
  const index = JSON.parse(await readFile(indexPath, 'utf8').catch(() => '{"v":"0.10.0","dumps":[]}')) as { dumps: unknown[] };
  index.dumps.push({ directory_name: spec.name, size: storedBytes, created_at: spec.createdAt, compressed: spec.compressed, encrypted: Boolean(spec.passphrase) });
  await writeFile(indexPath, JSON.stringify(index));
  return { storedBytes, chunkFiles };
}
