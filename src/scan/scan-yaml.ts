import { stringify } from 'yaml';
import { EMPTYING_TRANSFORMER, type ScanFinding, type ScanKeep } from './proposal.js';
import type { ScanResult } from './source-scan.js';

const scalar = (value: string) => stringify(value, { lineWidth: 0 }).trim();

/** The reason `init` and strict mode's proposals give to every `keep` entry (each column says why). */
export const PROPOSED_KEEP_REASON = "not personal data, as proposed by replibyte's scan (see each column's note); reviewed";

/**
 * The findings as a ready `source.transformers` block, each column with its `# reason`. A column no
 * transformer of this build can write is left commented out, with what to do instead.
 */
export function renderTransformersYaml(result: ScanResult, options: { sourceLines?: string[] } = {}): string {
  const lines = [
    `# replibyte source scan: ${result.findings.length} of ${result.columns} columns in ${result.tables} tables look sensitive`,
    `# (by column name, and by the content of up to ${result.sampleRows} rows per table). Review before use.`,
    'source:',
    ...(options.sourceLines ?? []),
    '  transformers:',
  ];
  if (result.findings.length === 0) lines.push('    []  # nothing looked sensitive; review the schema yourself (replibyte source schema)');
  lines.push(...transformerEntries(result.findings, '    '));
  return `${lines.join('\n')}\n`;
}

/**
 * Every column decided: `transformers` for the findings, `keep` (with the reason and each column's note)
 * for the rest. What `init` writes and what strict mode proposes for the columns it found undecided.
 */
export function renderDecisionsYaml(findings: ScanFinding[], kept: ScanKeep[], indent = '  '): string[] {
  const lines: string[] = [];
  if (findings.length > 0) lines.push(`${indent}transformers:`, ...transformerEntries(findings, `${indent}  `));
  if (kept.length > 0) lines.push(`${indent}keep:`, ...keepEntries(kept, `${indent}  `));
  return lines;
}

function groupByTable<T extends { schema: string; table: string }>(items: T[]): T[][] {
  const byTable = new Map<string, T[]>();
  for (const item of items) {
    const key = JSON.stringify([item.schema, item.table]);
    byTable.set(key, [...(byTable.get(key) ?? []), item]);
  }
  return [...byTable.values()];
}

function transformerEntries(findings: ScanFinding[], indent: string): string[] {
  const lines: string[] = [];
  for (const group of groupByTable(findings)) {
    const first = group[0]!;
    // A table whose every finding is commented out must be commented out too (`columns:` cannot be empty).
    const lead = group.some((f) => f.transformer) ? '' : '# ';
    lines.push(`${indent}${lead}- database: ${scalar(first.schema)}`, `${indent}${lead}  table: ${scalar(first.table)}`, `${indent}${lead}  columns:`);
    for (const finding of group) {
      if (finding.transformer) {
        const emptied = finding.transformer === EMPTYING_TRANSFORMER ? ` (no fake of this kind can write ${finding.type}: emptied)` : '';
        lines.push(`${indent}    - name: ${scalar(finding.column)}`, `${indent}      transformer_name: ${finding.transformer}  # ${finding.kind}: ${finding.reason}${emptied}`);
      } else {
        lines.push(
          `${indent}    # - name: ${scalar(finding.column)}  # ${finding.kind}: ${finding.reason}`,
          `${indent}    #   no built-in transformer can write ${finding.type}: leave the rows out (skip_data) or add a custom transformer`,
        );
      }
    }
  }
  return lines;
}

function keepEntries(kept: ScanKeep[], indent: string): string[] {
  const lines: string[] = [];
  for (const group of groupByTable(kept)) {
    const first = group[0]!;
    lines.push(
      `${indent}- database: ${scalar(first.schema)}`,
      `${indent}  table: ${scalar(first.table)}`,
      `${indent}  reason: ${scalar(PROPOSED_KEEP_REASON)}`,
      `${indent}  columns:`,
      ...group.map((k) => `${indent}    - ${scalar(k.column)}  # ${k.note}`),
    );
  }
  return lines;
}
