import { stringify } from 'yaml';
import type { ScanFinding, ScanResult } from './source-scan.js';

const scalar = (value: string) => stringify(value, { lineWidth: 0 }).trim();

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
  const byTable = new Map<string, ScanFinding[]>();
  for (const finding of result.findings) {
    const key = JSON.stringify([finding.schema, finding.table]);
    byTable.set(key, [...(byTable.get(key) ?? []), finding]);
  }
  if (byTable.size === 0) lines.push('    []  # nothing looked sensitive; review the schema yourself (replibyte source schema)');
  for (const findings of byTable.values()) {
    const first = findings[0]!;
    // A table whose every finding is commented out must be commented out too (`columns:` cannot be empty).
    const lead = findings.some((f) => f.transformer) ? '' : '# ';
    lines.push(`    ${lead}- database: ${scalar(first.schema)}`, `    ${lead}  table: ${scalar(first.table)}`, `    ${lead}  columns:`);
    for (const finding of findings) {
      if (finding.transformer) {
        lines.push(`        - name: ${scalar(finding.column)}`, `          transformer_name: ${finding.transformer}  # ${finding.kind}: ${finding.reason}`);
      } else {
        lines.push(
          `        # - name: ${scalar(finding.column)}  # ${finding.kind}: ${finding.reason}`,
          `        #   no built-in transformer can write ${finding.type}: leave the rows out (skip_data) or add a custom transformer`,
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
