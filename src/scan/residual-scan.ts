import type { ManifestPart } from '../dump/manifest.js';
import { splitBsonDocuments } from '../encode/bson-documents.js';
import { decodeCopyField } from '../encode/copy-text.js';
import { parseInsertHeader, rowTuples } from '../encode/mysql/insert-statement.js';
import { decodeLiteral } from '../encode/mysql/sql-literal.js';
import { splitMysqlScript } from '../encode/mysql/statement-splitter.js';
import { CONTENT_DETECTORS, type SensitiveKind } from './detectors.js';

/**
 * The residual scan (`dump verify --scan`, `dump create --scan`): the scan's content detectors run over
 * the rows as they are stored, to show that nothing personal is left in them. Values are looked at in
 * memory and counted; a finding never carries a value.
 *
 * A strong detector (an email, a Luhn-valid card, a mod-97 IBAN, an email inside free text) is a finding
 * on a single value: one planted address is one too many. The weaker ones (names, phones, addresses,
 * tokens, IPs) match innocent values too, so they are findings only when they match a good share of the
 * column's non-empty values, as `source scan` decides.
 */

const STRONG: ReadonlySet<SensitiveKind> = new Set(['email', 'card', 'iban']);
/** Share of a column's non-empty scanned values a weak detector must match. */
const WEAK_SHARE = 0.3;
/** A weak detector needs at least this many matches (a column of two rows is not evidence). */
const WEAK_MINIMUM = 3;
/** Values longer than this are looked at for embedded emails only (a detector on 1 MB of text is waste). */
const LONG_VALUE = 512;
const EMBEDDED_EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;

export type ResidualDetector = SensitiveKind | 'email-in-text';

export interface ResidualFinding {
  schema: string;
  table: string;
  column: string;
  detector: ResidualDetector;
  /** Values that matched (never the values themselves). */
  values: number;
  /** Non-empty values of the column that were scanned. */
  scanned: number;
}

export interface ResidualTableReport {
  schema: string;
  table: string;
  rowsScanned: number;
  findings: number;
}

export interface ResidualScanReport {
  /** `all` rows, or a sample of each table (`sampled`, with the rule in `sample`). */
  mode: 'all' | 'sampled';
  rowsScanned: number;
  tables: ResidualTableReport[];
  findings: ResidualFinding[];
}

/** Which rows of a part to scan: the first `first`, then one in `every` (0: none after the first). */
export interface RowSampling {
  first: number;
  every: number;
}

export const ALL_ROWS: RowSampling = { first: Number.POSITIVE_INFINITY, every: 1 };

interface ColumnTally {
  scanned: number;
  /** Per detector: every match, and the matches that alone are evidence. */
  hits: Map<ResidualDetector, { values: number; strong: number }>;
}

/** Columns the scan leaves alone: those a transformer rewrote (their values are fakes by design). */
export type ColumnFilter = (schema: string, table: string, column: string) => boolean;

export class ResidualScanner {
  private readonly tallies = new Map<string, { schema: string; table: string; column: string; tally: ColumnTally }>();
  private readonly tables = new Map<string, ResidualTableReport>();

  constructor(
    private readonly sampling: RowSampling,
    private readonly isTransformed: ColumnFilter,
  ) {}

  /** The part's bytes, handed on unchanged, each piece also given to the scan (scanned as it passes). */
  async *tap(part: Pick<ManifestPart, 'schema' | 'table' | 'columns' | 'encoding'>, data: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const scanner = this.partScanner(part);
    for await (const piece of data) {
      await scanner.push(piece);
      yield piece;
    }
    await scanner.end();
  }

  /** A scanner for one part; feed it the part's raw bytes in order with `push`, then `end`. */
  private partScanner(part: Pick<ManifestPart, 'schema' | 'table' | 'columns' | 'encoding'>): PartScanner {
    const schema = part.schema ?? '';
    const table = part.table ?? '';
    const tableKey = JSON.stringify([schema, table]);
    const report = this.tables.get(tableKey) ?? { schema, table, rowsScanned: 0, findings: 0 };
    this.tables.set(tableKey, report);
    let row = 0;
    const take = () => {
      const index = row++;
      return index < this.sampling.first || (this.sampling.every > 0 && (index - this.sampling.first) % this.sampling.every === 0);
    };
    // Each column's tally is looked up once per part, not once per value; a column known to be
    // transformed gets none, so its values are not even decoded.
    const columns = new Map<string, ColumnTally | null>();
    const record: RowRecorder = {
      row: () => {
        report.rowsScanned += 1;
      },
      column: (column) => {
        let tally = columns.get(column);
        if (tally === undefined) {
          tally = this.isTransformed(schema, table, column) ? null : this.tallyOf(schema, table, column);
          columns.set(column, tally);
        }
        return tally;
      },
    };
    switch (part.encoding) {
      case 'pg-copy-text':
        return new CopyTextScanner(part.columns ?? [], take, record);
      case 'mysql-sql':
        return new MysqlInsertScanner(part.columns ?? [], take, record);
      case 'bson-documents':
        return new BsonScanner(take, record);
      default:
        return new IgnoringScanner();
    }
  }

  private tallyOf(schema: string, table: string, column: string): ColumnTally {
    const key = JSON.stringify([schema, table, column]);
    let entry = this.tallies.get(key);
    if (!entry) {
      entry = { schema, table, column, tally: { scanned: 0, hits: new Map() } };
      this.tallies.set(key, entry);
    }
    return entry.tally;
  }

  report(mode: ResidualScanReport['mode']): ResidualScanReport {
    const findings: ResidualFinding[] = [];
    for (const { schema, table, column, tally } of this.tallies.values()) {
      // Asked again here: `dump create` learns which columns were transformed only at the end.
      if (this.isTransformed(schema, table, column)) continue;
      for (const [detector, { values, strong }] of tally.hits) {
        if (strong === 0 && (values < Math.min(WEAK_MINIMUM, tally.scanned) || values / tally.scanned < WEAK_SHARE)) continue;
        findings.push({ schema, table, column, detector, values, scanned: tally.scanned });
      }
    }
    findings.sort((a, b) => a.schema.localeCompare(b.schema) || a.table.localeCompare(b.table) || a.column.localeCompare(b.column) || a.detector.localeCompare(b.detector));
    const tables = [...this.tables.values()].map((t) => ({ ...t, findings: findings.filter((f) => f.schema === t.schema && f.table === t.table).length }));
    return { mode, rowsScanned: tables.reduce((sum, t) => sum + t.rowsScanned, 0), tables, findings };
  }
}

/**
 * The first detector a value matches, and whether that match alone is evidence. A bare run of digits
 * that passes Luhn is only weak evidence: one in ten random identifiers (snowflake ids, bigints) does.
 */
function detect(value: string): { detector: ResidualDetector; strong: boolean } | undefined {
  if (value.length <= LONG_VALUE) {
    for (const detector of CONTENT_DETECTORS) {
      if (!detector.matches(value)) continue;
      const strong = STRONG.has(detector.kind) && !(detector.kind === 'card' && /^\d+$/.test(value.trim()));
      return { detector: detector.kind, strong };
    }
  }
  return value.includes('@') && EMBEDDED_EMAIL.test(value) ? { detector: 'email-in-text', strong: true } : undefined;
}

/** Counts one value of a column (NULL and blank values are not counted: there is nothing to see). */
function tallyValue(tally: ColumnTally, value: string | null): void {
  if (value === null || value.trim() === '') return;
  tally.scanned += 1;
  const hit = detect(value);
  if (!hit) return;
  const count = tally.hits.get(hit.detector) ?? { values: 0, strong: 0 };
  count.values += 1;
  if (hit.strong) count.strong += 1;
  tally.hits.set(hit.detector, count);
}

export interface PartScanner {
  /** Takes the next piece of the part; await it so a slow parser holds back the reader. */
  push(piece: Buffer): void | Promise<void>;
  end(): Promise<void>;
}

type RowTaker = () => boolean;
/** Where a part scanner records a sampled row: `row` once, then each column's tally (null: not scanned). */
interface RowRecorder {
  row(): void;
  column(name: string): ColumnTally | null;
}

/** COPY text: a row per line, fields split on tabs (a tab or newline inside a value is escaped). */
class CopyTextScanner implements PartScanner {
  private carry: Buffer | undefined;
  /** Per column position: its tally, null when it is not scanned, undefined until first seen. */
  private readonly tallies: Array<ColumnTally | null | undefined> = [];

  constructor(
    private readonly columns: readonly string[],
    private readonly take: RowTaker,
    private readonly record: RowRecorder,
  ) {}

  push(piece: Buffer): void {
    let start = 0;
    let data = piece;
    if (this.carry) {
      data = Buffer.concat([this.carry, piece]);
      this.carry = undefined;
    }
    for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10, start)) {
      if (this.take()) this.row(data.toString('utf8', start, newline));
      start = newline + 1;
    }
    if (start < data.length) this.carry = Buffer.from(data.subarray(start));
  }

  private row(line: string): void {
    const fields = line.split('\t');
    this.record.row();
    for (let i = 0; i < fields.length; i += 1) {
      // A part's columns are fixed: each position's tally is looked up once, on its first row.
      let tally = this.tallies[i];
      if (tally === undefined) tally = this.tallies[i] = this.record.column(this.columns[i] ?? `#${i + 1}`);
      if (tally) tallyValue(tally, decodeCopyField(fields[i] as string));
    }
  }

  async end(): Promise<void> {
    this.carry = undefined;
  }
}

/**
 * A scanner whose parser reads an async stream (the MySQL splitter, the BSON splitter): pieces go through
 * a queue it drains, and `push` resolves once the parser has taken the piece, so the queue never holds
 * more than one piece however slow the parser is. A parser that failed takes nothing more; `end` throws
 * its error.
 */
abstract class QueuedScanner implements PartScanner {
  private readonly queue: Array<{ piece: Buffer; taken: () => void }> = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private done: Promise<void> | undefined;

  protected abstract scan(pieces: AsyncIterable<Buffer>): Promise<void>;

  push(piece: Buffer): Promise<void> {
    this.done ??= this.started();
    const taken = new Promise<void>((resolve) => this.queue.push({ piece, taken: resolve }));
    this.wake?.();
    return Promise.race([taken, this.done.catch(() => undefined)]);
  }

  async end(): Promise<void> {
    this.ended = true;
    this.wake?.();
    await (this.done ?? this.started());
  }

  private started(): Promise<void> {
    const done = this.scan(this.pieces());
    done.catch(() => undefined);
    return done;
  }

  private async *pieces(): AsyncGenerator<Buffer> {
    while (true) {
      const next = this.queue.shift();
      if (next) {
        next.taken();
        yield next.piece;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/** MySQL parts: multi-row INSERT statements, split as the `mysql` client would. */
class MysqlInsertScanner extends QueuedScanner {
  constructor(
    private readonly columns: readonly string[],
    private readonly take: RowTaker,
    private readonly record: RowRecorder,
  ) {
    super();
  }

  protected async scan(pieces: AsyncIterable<Buffer>): Promise<void> {
    for await (const statement of splitMysqlScript(pieces, 'a MySQL data part')) {
      if (statement.kind !== 'statement') continue;
      const header = parseInsertHeader(statement.text);
      if (!header) continue;
      const names = header.columns ?? this.columns;
      for (const tuple of rowTuples(statement.text, header.valuesOffset)) {
        if (!this.take()) continue;
        this.record.row();
        tuple.spans.forEach(([start, end], i) => {
          const tally = this.record.column(names[i] ?? `#${i + 1}`);
          if (!tally) return;
          const value = decodeLiteral(tuple.bytes.subarray(start, end));
          tallyValue(tally, value == null ? null : value.toString('utf8'));
        });
      }
    }
  }
}

/** MongoDB documents: the fields whose values are strings, nested ones by their dotted path. */
class BsonScanner extends QueuedScanner {
  constructor(
    private readonly take: RowTaker,
    private readonly record: RowRecorder,
  ) {
    super();
  }

  protected async scan(pieces: AsyncIterable<Buffer>): Promise<void> {
    // The driver loads only when a MongoDB dump is scanned: every command imports this module.
    const { BSON } = await import('mongodb');
    for await (const bytes of splitBsonDocuments(pieces, 'a MongoDB data part')) {
      if (!this.take()) continue;
      const values: Array<[string, string | null]> = [];
      collectStrings(BSON.deserialize(bytes, { promoteValues: true }), '', values, 0);
      this.record.row();
      for (const [path, value] of values) {
        const tally = this.record.column(path);
        if (tally) tallyValue(tally, value);
      }
    }
  }
}

function collectStrings(value: unknown, path: string, out: Array<[string, string | null]>, depth: number): void {
  if (typeof value === 'string') out.push([path, value]);
  else if (depth < 8 && value !== null && typeof value === 'object' && (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype)) {
    for (const [key, item] of Object.entries(value)) collectStrings(item, Array.isArray(value) ? path : path ? `${path}.${key}` : key, out, depth + 1);
  }
}

class IgnoringScanner implements PartScanner {
  push(): void {}
  async end(): Promise<void> {}
}

/** Transformers that keep the original value: a column under one of them is scanned like any other. */
const KEEPS_ORIGINAL = new Set(['transient']);

/** The filter for a dump's manifest: columns a transformer rewrote are not scanned. */
export function transformedColumns(transformed: ReadonlyArray<{ schema: string; table: string; column: string; transformer: string }>): ColumnFilter {
  const keys = new Set(transformed.filter((t) => !KEEPS_ORIGINAL.has(t.transformer)).map((t) => JSON.stringify([t.schema, t.table, t.column])));
  return (schema, table, column) => keys.has(JSON.stringify([schema, table, column]));
}

/** One line per finding, for a terminal or an error message: never a value. */
export function describeFinding(finding: ResidualFinding): string {
  const where = [finding.schema, finding.table, finding.column].filter(Boolean).join('.');
  return `${where}: ${finding.values} of ${finding.scanned} scanned values look like ${DETECTOR_WORDS[finding.detector]}`;
}

const DETECTOR_WORDS: Record<ResidualDetector, string> = {
  email: 'email addresses',
  'email-in-text': 'text containing an email address',
  phone: 'phone numbers',
  'first-name': 'first names',
  'last-name': 'last names',
  'full-name': "people's full names",
  username: 'user names',
  address: 'street addresses',
  postcode: 'postcodes',
  card: 'card numbers (Luhn checksum)',
  iban: 'IBANs (mod-97 checksum)',
  ip: 'IP addresses',
  token: 'tokens or keys',
  'national-id': 'national identifiers',
  'birth-date': 'birth dates',
};
