import type pg from 'pg';
import { readCatalog, qualifiedName, quoteIdentifier, type TableInfo } from '../sources/postgres/catalog.js';
import { connectPostgres } from '../sources/postgres/connection.js';
import type { TransformerRegistry } from '../transformers/registry.js';
import type { ColumnInfo } from '../transformers/transformer.js';
import { CONTENT_DETECTORS, NAME_RULES, normalizeColumnName, type SensitiveKind } from './detectors.js';

export interface ScanFinding {
  schema: string;
  table: string;
  column: string;
  type: string;
  kind: SensitiveKind;
  /** Why, in words: the name rule and/or the share of sampled values that matched. */
  reason: string;
  /** The proposed transformer, or undefined when no transformer of this build can write the column. */
  transformer?: string;
}

export interface ScanResult {
  tables: number;
  columns: number;
  sampleRows: number;
  findings: ScanFinding[];
}

export interface ScanOptions {
  registry: TransformerRegistry;
  /** Rows read per table (the first ones: a scan must stay cheap on a production database). */
  sampleRows?: number;
  /** Share of sampled non-empty values a detector must match to flag a column by content alone. */
  threshold?: number;
}

/** Transformers to propose per kind, best first; each is checked against the column's type. */
const PREFERENCES: Record<SensitiveKind, string[]> = {
  email: ['email', 'redacted'],
  phone: ['phone-number', 'redacted'],
  'first-name': ['first-name', 'redacted'],
  'last-name': ['last-name', 'redacted'],
  'full-name': ['full-name', 'name', 'redacted'],
  address: ['street-address', 'address', 'redacted'],
  postcode: ['postcode', 'zip-code', 'redacted'],
  card: ['credit-card', 'redacted'],
  iban: ['iban', 'redacted'],
  ip: ['ip-address', 'redacted'],
  token: ['redacted'],
  'national-id': ['redacted'],
  'birth-date': ['random-date', 'date', 'redacted'],
};

/** Types whose values can never hold the kinds above as text (and are not worth reading). */
const SKIPPED_TYPES = new Set(['bool', 'bytea', 'json', 'jsonb', 'xml', 'tsvector', 'uuid', 'float4', 'float8', 'int2', 'int4', 'oid', 'interval', 'timestamp', 'timestamptz', 'date', 'time', 'timetz', 'money', 'point']);

/**
 * `source scan`: reads the live schema and the first rows of every table, and flags columns that look
 * sensitive by their name or by their content. Read-only, in one READ ONLY transaction.
 */
export async function scanSource(uri: string, options: ScanOptions): Promise<ScanResult> {
  const sampleRows = options.sampleRows ?? 200;
  const threshold = options.threshold ?? 0.6;
  const client = await connectPostgres(uri, 'source');
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const catalog = await readCatalog(client);
    const tables = catalog.tables.filter((t) => t.kind === 'r' || t.kind === 'p' || t.kind === 'm');
    const findings: ScanFinding[] = [];
    let columns = 0;
    for (const table of tables) {
      const candidates = table.columns.filter((c) => !c.generated);
      columns += candidates.length;
      const samples = await sampleTable(client, table, candidates.filter((c) => !SKIPPED_TYPES.has(c.baseType) && !c.baseType.startsWith('_')), sampleRows);
      for (const column of candidates) {
        const finding = classify(column, samples.get(column.name), threshold);
        if (!finding) continue;
        const transformer = PREFERENCES[finding.kind].find((name) => {
          const definition = options.registry.get(name);
          return definition && !definition.refuses?.(column);
        });
        findings.push({ schema: table.schema, table: table.name, column: column.name, type: column.type, ...finding, ...(transformer && { transformer }) });
      }
    }
    return { tables: tables.length, columns, sampleRows, findings };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

async function sampleTable(client: pg.Client, table: TableInfo, columns: ColumnInfo[], limit: number): Promise<Map<string, string[]>> {
  const samples = new Map<string, string[]>();
  if (columns.length === 0) return samples;
  const list = columns.map((c, i) => `${quoteIdentifier(c.name)}::text AS c${i}`).join(', ');
  const { rows } = await client.query<Record<string, string | null>>(`SELECT ${list} FROM ${qualifiedName(table.schema, table.name)} LIMIT ${Math.max(1, Math.floor(limit))}`);
  columns.forEach((column, i) => {
    samples.set(column.name, rows.map((row) => row[`c${i}`]).filter((v): v is string => v !== null && v !== undefined && v.trim() !== ''));
  });
  return samples;
}

function classify(column: ColumnInfo, values: string[] | undefined, threshold: number): Pick<ScanFinding, 'kind' | 'reason'> | undefined {
  const normalized = normalizeColumnName(column.name);
  const byName = NAME_RULES.find((rule) => rule.pattern.test(normalized));
  const sampled = values ?? [];
  const byContent = sampled.length === 0 ? undefined : CONTENT_DETECTORS.map((detector) => ({ detector, hits: sampled.filter((v) => detector.matches(v)).length })).find(
    ({ hits }) => hits / sampled.length >= threshold,
  );
  const contentReason = byContent && `${byContent.hits}/${sampled.length} sampled values look like ${byContent.detector.describes}`;
  if (byName) {
    const agrees = byContent && byContent.detector.kind === byName.kind;
    return { kind: byName.kind, reason: `column name "${column.name}" suggests ${byName.kind}${agrees ? `; ${contentReason}` : ''}` };
  }
  if (byContent) return { kind: byContent.detector.kind, reason: contentReason! };
  return undefined;
}
