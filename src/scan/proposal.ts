import type { TransformerRegistry } from '../transformers/registry.js';
import type { ColumnInfo } from '../transformers/transformer.js';
import { CONTENT_DETECTORS, NAME_RULES, nameRuleFits, normalizeColumnName, type SensitiveKind } from './detectors.js';

/** A column that looks sensitive, with the transformer proposed for it. */
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

/** A column that looks safe to copy as it is (a `source.keep` proposal), with why. */
export interface ScanKeep {
  schema: string;
  table: string;
  column: string;
  type: string;
  /** Why it looks safe ("primary key", "integer", "nothing personal in 200 sampled values"). */
  note: string;
}

/** One table as the scan sees it: its columns, and which of them are keys. */
export interface ScanTable {
  schema: string;
  name: string;
  columns: Array<ColumnInfo & { generated?: boolean }>;
  /** Column name → "primary key" / "foreign key": never flagged by name. */
  keys: ReadonlyMap<string, string>;
}

/** Reads up to `limit` values of each column as text (non-empty ones); absent when rows cannot be read. */
export type ColumnSampler = (table: ScanTable, columns: ColumnInfo[], limit: number) => Promise<Map<string, string[]>>;

export interface ProposalOptions {
  registry: TransformerRegistry;
  sampleRows?: number;
  /** Share of sampled non-empty values a detector must match to flag a column by content alone. */
  threshold?: number;
  sampler?: ColumnSampler;
}

export interface Proposal {
  sampleRows: number;
  findings: ScanFinding[];
  kept: ScanKeep[];
}

/** Transformers to propose per kind, best first; each is checked against the column (type, unique, NOT NULL). */
const PREFERENCES: Record<SensitiveKind, string[]> = {
  email: ['email', 'redacted'],
  phone: ['phone-number', 'redacted'],
  'first-name': ['first-name', 'redacted'],
  'last-name': ['last-name', 'redacted'],
  'full-name': ['full-name', 'name', 'redacted'],
  username: ['username', 'redacted'],
  address: ['street-address', 'address', 'redacted'],
  postcode: ['postcode', 'zip-code', 'redacted'],
  card: ['credit-card', 'redacted'],
  iban: ['iban', 'redacted'],
  ip: ['ip-address', 'redacted'],
  token: ['redacted'],
  'national-id': ['redacted'],
  'birth-date': ['random-date', 'date', 'redacted'],
};

/** Last resort for a sensitive column no fake can write (a jsonb `address`): empty it, if it may be. */
export const EMPTYING_TRANSFORMER = 'null';

/** Types whose values can never hold the kinds above as text (and are not worth reading). */
const UNREAD_TYPES = new Set(['bool', 'bytea', 'json', 'jsonb', 'xml', 'tsvector', 'uuid', 'float4', 'float8', 'int2', 'int4', 'oid', 'interval', 'timestamp', 'timestamptz', 'date', 'time', 'timetz', 'money', 'point']);

export function isSampled(column: ColumnInfo, isKey: boolean): boolean {
  if (UNREAD_TYPES.has(column.baseType) || column.baseType.startsWith('_')) return false;
  // An integer key holds ids: ten digits of them look like a phone number, and are none.
  return !(isKey && /^u?int\d$/.test(column.baseType));
}

/**
 * Classifies every column of the tables (generated ones aside: they are computed on restore): a finding
 * with a proposed transformer for those that look sensitive by name or content, a keep with its note for
 * the others. `columnsOf` narrows each table to the columns to decide (strict mode: the undecided ones).
 */
export async function proposeDecisions(
  tables: ScanTable[],
  options: ProposalOptions,
  columnsOf: (table: ScanTable) => Array<ColumnInfo & { generated?: boolean }> = (table) => table.columns,
): Promise<Proposal> {
  const sampleRows = options.sampleRows ?? 200;
  const threshold = options.threshold ?? 0.6;
  const proposal: Proposal = { sampleRows, findings: [], kept: [] };
  for (const table of tables) {
    const candidates = columnsOf(table).filter((c) => !c.generated);
    const read = candidates.filter((c) => isSampled(c, table.keys.has(c.name)));
    const samples = options.sampler && read.length > 0 ? await options.sampler(table, read, sampleRows) : undefined;
    for (const column of candidates) {
      const keyRole = table.keys.get(column.name);
      const values = samples?.get(column.name);
      const finding = classifyColumn(column, values, keyRole !== undefined, threshold);
      const at = { schema: table.schema, table: table.name, column: column.name, type: column.type };
      if (finding) {
        const transformer = proposeTransformer(finding.kind, column, options.registry);
        proposal.findings.push({ ...at, ...finding, ...(transformer && { transformer }) });
      } else {
        proposal.kept.push({ ...at, note: keepNote(column, keyRole, values) });
      }
    }
  }
  return proposal;
}

export function classifyColumn(column: ColumnInfo, values: string[] | undefined, isKey: boolean, threshold: number): Pick<ScanFinding, 'kind' | 'reason'> | undefined {
  const normalized = normalizeColumnName(column.name);
  const byName = NAME_RULES.find((rule) => rule.pattern.test(normalized) && nameRuleFits(rule.kind, column, isKey));
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

/** The first transformer of the kind's list that can write the column, else one that empties it. */
export function proposeTransformer(kind: SensitiveKind, column: ColumnInfo, registry: TransformerRegistry): string | undefined {
  return [...PREFERENCES[kind], EMPTYING_TRANSFORMER].find((name) => {
    const definition = registry.get(name);
    if (!definition || definition.refuses?.(column)) return false;
    return !column.unique || definition.unique === 'keeps';
  });
}

function keepNote(column: ColumnInfo, keyRole: string | undefined, values: string[] | undefined): string {
  if (keyRole) return keyRole;
  const base = column.baseType;
  if (/^u?int\d$|^(numeric|float4|float8|money|oid)$/.test(base)) return 'a number';
  if (base === 'bool') return 'a boolean';
  if (/^(date|time|timetz|timestamp|timestamptz|interval|year)$/.test(base)) return 'a date or time';
  if (base === 'json' || base === 'jsonb' || base === 'xml') return `${base}: not read by the scan, review what its documents hold (the json transformer rewrites paths inside)`;
  if (base.startsWith('_')) return 'an array: not read by the scan, review what it holds';
  if (base === 'uuid') return 'a uuid';
  if (base === 'bytea') return 'binary: not read by the scan, review what it holds';
  if (column.enumValues) return 'an enum';
  if (values === undefined) return 'no sensitive name (no rows were read)';
  if (values.length === 0) return 'no sensitive name; empty in the sampled rows';
  return `no sensitive name; nothing personal in ${values.length} sampled values`;
}
