import type { Config } from '../config/load.js';
import { openDatastore } from '../datastores/open.js';
import { resolveDumpName } from '../dump/catalog.js';
import { DumpFault } from '../dump/dump-fault.js';
import { openStoredDump, type ReadableDump } from '../dump/dump-opener.js';
import type { ManifestPart } from '../dump/manifest.js';
import { readLargeObjects } from '../encode/large-objects.js';
import { parseInsertHeader, rowTuples } from '../encode/mysql/insert-statement.js';
import { splitMysqlScript } from '../encode/mysql/statement-splitter.js';
import { readScript } from '../encode/sql-script-reader.js';
import { errorMessage } from '../errors.js';
import { ALL_ROWS, ResidualScanner, transformedColumns, type ResidualScanReport, type RowSampling } from '../scan/residual-scan.js';

export interface VerifiedPart {
  label: string;
  kind: ManifestPart['kind'];
  /** COPY rows or rows of the INSERTs of a table part; INSERT statements of an original-format script. */
  rows: number;
  statements: number;
  bytes: number;
}

export interface VerifyFault {
  message: string;
  /** The chunk key (`000003.chunk`, `4.dump`) when the fault lies in one. */
  chunk?: string;
  /** Byte offset in the stored chunk, when known. */
  offset?: number;
}

export interface VerifyReport {
  name: string;
  format: ReadableDump['format'];
  encrypted: boolean;
  tables: number;
  rows: number;
  /** Raw (decrypted, decompressed) bytes read back. */
  bytes: number;
  storedBytes: number;
  chunks: number;
  parts: VerifiedPart[];
  /** The first fault found; verification stops there. */
  fault?: VerifyFault;
  /** With `scan`: what the residual scan found in the stored rows (counts, never values). */
  scan?: ResidualScanReport;
}

export interface VerifyOptions {
  value: string;
  /** With encryption_key, verify a dump the key does not protect anyway (`--allow-unencrypted`). */
  allowUnencrypted?: boolean;
  /** Run the residual scan over the rows as they are read back: every row, or the first `sample` of each part. */
  scan?: { sample?: number };
}

/**
 * `dump verify`: reads a whole dump back as a restore would (decrypt, decompress, parse) but into no
 * database, and reports what it holds or the first fault. A missing or wrong key is an error, not a fault,
 * and so is a dump the configured key does not protect (without `allowUnencrypted`).
 */
export async function verifyDump(config: Config, options: VerifyOptions): Promise<VerifyReport> {
  const datastore = await openDatastore(config);
  try {
    const name = await resolveDumpName(datastore, options.value);
    let dump: ReadableDump;
    try {
      dump = await openStoredDump(datastore, name, config.encryption_key, { allowUnencrypted: options.allowUnencrypted ?? false });
    } catch (error) {
      if (!(error instanceof DumpFault)) throw error;
      return { ...emptyReport(name), fault: faultOf(error) };
    }
    const { manifest } = dump;
    const report: VerifyReport = {
      name,
      format: dump.format,
      encrypted: dump.encrypted,
      tables: 0,
      rows: 0,
      bytes: 0,
      storedBytes: manifest.totals.storedBytes,
      chunks: manifest.totals.chunks,
      parts: [],
    };
    const tables = new Set<string>();
    const sampling: RowSampling = options.scan?.sample === undefined ? ALL_ROWS : { first: options.scan.sample, every: 0 };
    const scanner = options.scan ? new ResidualScanner(sampling, transformedColumns(manifest.transformed)) : undefined;
    const mysqlScript = { completed: false };
    for (const part of manifest.parts) {
      const verified: VerifiedPart = { label: part.label, kind: part.kind, rows: 0, statements: 0, bytes: 0 };
      try {
        const data = scanner && part.kind === 'table-data' ? scanner.tap(part, dump.readPart(part)) : dump.readPart(part);
        if (part.encoding === 'pg-copy-text') await checkCopyPart(part, data, verified);
        else if (part.encoding === 'pg-large-objects') await checkLargeObjectsPart(part, data, verified);
        else if (part.encoding === 'mysql-sql') await checkMysqlPart(part, data, verified, mysqlScript);
        else await checkSqlPart(data, verified, dump.format === 'replibyte-legacy' ? tables : undefined);
      } catch (error) {
        report.fault = faultOf(error, part);
      }
      report.parts.push(verified);
      report.bytes += verified.bytes;
      if (part.kind !== 'large-objects') report.rows += verified.rows;
      if (part.kind === 'table-data') tables.add(JSON.stringify([part.schema, part.table]));
      if (report.fault) break;
    }
    report.tables = tables.size;
    if (!report.fault && manifest.source.kind === 'script' && manifest.parts.some((part) => part.encoding === 'mysql-sql') && !mysqlScript.completed && !manifest.source.truncated) {
      report.fault = { message: "the script this dump was made from does not end with mysqldump's `-- Dump completed` line: it was cut short, tables, views or routines may be missing (dump create now refuses such a script unless --allow-truncated)" };
    }
    if (scanner && !report.fault) report.scan = scanner.report(options.scan?.sample === undefined ? 'all' : 'sampled');
    return report;
  } finally {
    await datastore.close();
  }
}

/** COPY text: every row ends with a newline and has one tab fewer than it has columns. */
async function checkCopyPart(part: ManifestPart, data: AsyncIterable<Buffer>, verified: VerifiedPart): Promise<void> {
  const tabsPerRow = (part.columns?.length ?? 1) - 1;
  let tabs = 0;
  for await (const piece of data) {
    let position = 0;
    while (position < piece.length) {
      const newline = piece.indexOf(10, position);
      const end = newline === -1 ? piece.length : newline;
      for (let tab = piece.indexOf(9, position); tab !== -1 && tab < end; tab = piece.indexOf(9, tab + 1)) tabs += 1;
      if (newline === -1) break;
      if (tabs !== tabsPerRow) {
        throw new Error(`row ${verified.rows + 1} (raw byte offset ${verified.bytes + newline}) has ${tabs + 1} fields, the part has ${tabsPerRow + 1} columns`);
      }
      tabs = 0;
      verified.rows += 1;
      position = newline + 1;
    }
    verified.bytes += piece.length;
  }
  if (tabs > 0 || (verified.bytes > 0 && verified.rows === 0)) throw new Error('the last row is not terminated: the data is cut short');
  if (part.rows !== undefined && verified.rows !== part.rows) {
    throw new Error(`read ${verified.rows} rows, the manifest says ${part.rows}`);
  }
}

/** Large objects: every record framed whole; `rows` counts the objects. */
async function checkLargeObjectsPart(part: ManifestPart, data: AsyncIterable<Buffer>, verified: VerifiedPart): Promise<void> {
  const counted = (async function* () {
    for await (const piece of data) {
      verified.bytes += piece.length;
      yield piece;
    }
  })();
  for await (const event of readLargeObjects(counted)) if (event.type === 'end') verified.rows += 1;
  if (part.rows !== undefined && verified.rows !== part.rows) throw new Error(`read ${verified.rows} large objects, the manifest says ${part.rows}`);
}

/**
 * A MySQL part, split as the mysql client splits it (backslash escapes in strings: PostgreSQL's
 * rules would misread 'O\\'Connell'). A table part holds only INSERTs, each ended by `;`: its rows
 * are counted tuple by tuple and must match the manifest. `script.completed` follows whether the last
 * statement read so far was followed by mysqldump's `-- Dump completed` line.
 */
async function checkMysqlPart(part: ManifestPart, data: AsyncIterable<Buffer>, verified: VerifiedPart, script: { completed: boolean }): Promise<void> {
  const counted = (async function* () {
    for await (const piece of data) {
      verified.bytes += piece.length;
      yield piece;
    }
  })();
  for await (const statement of splitMysqlScript(counted, 'the part')) {
    if (statement.kind !== 'statement') {
      if (/^-- Dump completed\b/m.test(statement.raw.toString('latin1', 0, 4096))) script.completed = true;
      continue;
    }
    verified.statements += 1;
    script.completed = false;
    if (part.kind !== 'table-data') continue;
    const header = parseInsertHeader(statement.text);
    if (!header) throw new Error(`statement on line ${statement.line} is not an INSERT`);
    if (statement.raw.length === statement.text.length) throw new Error(`the INSERT on line ${statement.line} is not terminated: the data is cut short`);
    try {
      for (const tuple of rowTuples(statement.text, header.valuesOffset)) {
        void tuple;
        verified.rows += 1;
      }
    } catch (error) {
      throw new Error(`INSERT on line ${statement.line}: ${errorMessage(error)}`);
    }
  }
  if (part.kind === 'table-data' && part.rows !== undefined && verified.rows !== part.rows) {
    throw new Error(`read ${verified.rows} rows, the manifest says ${part.rows}`);
  }
}

async function checkSqlPart(data: AsyncIterable<Buffer>, verified: VerifiedPart, insertTargets: Set<string> | undefined): Promise<void> {
  const counted = (async function* () {
    for await (const piece of data) {
      verified.bytes += piece.length;
      yield piece;
    }
  })();
  for await (const event of readScript(counted)) {
    if (event.kind === 'statement' || event.kind === 'copy-start') verified.statements += 1;
    if (insertTargets && event.kind === 'statement') {
      const target = /^INSERT\s+INTO\s+((?:"[^"]*"|[^\s(]+)(?:\.(?:"[^"]*"|[^\s(]+))?)/i.exec(event.sql.replace(/^(\s*--[^\n]*\n)*\s*/, ''));
      if (target) {
        verified.rows += 1;
        insertTargets.add(target[1]!);
      }
    }
  }
}

function faultOf(error: unknown, part?: ManifestPart): VerifyFault {
  if (error instanceof DumpFault) return { message: error.message, chunk: error.chunk, ...(error.offset !== undefined && { offset: error.offset }) };
  return { message: part ? `${part.label}: ${errorMessage(error)}` : errorMessage(error) };
}

function emptyReport(name: string): VerifyReport {
  return { name, format: 'replibyte-v1', encrypted: false, tables: 0, rows: 0, bytes: 0, storedBytes: 0, chunks: 0, parts: [] };
}
