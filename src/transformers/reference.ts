import { z } from 'zod';
import type { RowView } from './row-transform.js';
import type { TransformerRegistry } from './registry.js';
import type { ColumnInfo, TransformerDefinition, TransformerExample } from './transformer.js';

/**
 * What `transformer list` and docs/transformers.md show of each transformer, computed from the
 * definitions themselves so that the two cannot drift from the code.
 */

/** A fixed, public salt for examples: real dumps use the config's secret salt. */
const EXAMPLE_SALT = Buffer.from('replibyte documentation example salt');

export interface OptionSummary {
  name: string;
  type: string;
  default?: string;
  required: boolean;
}

export function optionsOf(definition: TransformerDefinition<unknown>): OptionSummary[] {
  let schema: { properties?: Record<string, JsonSchema & { default?: unknown }>; required?: string[] };
  try {
    schema = z.toJSONSchema(definition.options as z.ZodType, { io: 'input', unrepresentable: 'any' }) as typeof schema;
  } catch {
    return [];
  }
  return Object.entries(schema.properties ?? {}).map(([name, property]) => {
    const type = describeType(property);
    return {
      name,
      type,
      ...(property.default !== undefined && { default: JSON.stringify(property.default) }),
      required: (schema.required ?? []).includes(name) && property.default === undefined,
    };
  });
}

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  required?: string[];
}

/** `string`, `"a" | "b"`, `(string | number | {value, weight})[]`: an option's type as a user writes it. */
function describeType(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.anyOf) return schema.anyOf.map(describeType).join(' | ');
  if (Array.isArray(schema.type)) return schema.type.join(' | ');
  if (schema.type === 'array') {
    const item = schema.items ? describeType(schema.items) : 'any';
    return item.includes(' ') ? `(${item})[]` : `${item}[]`;
  }
  // A map (dict's `values`): its keys are the user's own.
  if (schema.type === 'object' && !schema.properties && typeof schema.additionalProperties === 'object') return `{<key>: ${describeType(schema.additionalProperties)}}`;
  if (schema.type === 'object' && schema.properties) {
    const required = new Set(schema.required ?? []);
    return `{${Object.keys(schema.properties).map((key) => (required.has(key) ? key : `${key}?`)).join(', ')}}`;
  }
  return schema.type ?? 'any';
}

export function formatOptions(definition: TransformerDefinition<unknown>): string {
  const options = optionsOf(definition);
  if (options.length === 0) return '-';
  return options.map((o) => `${o.name}${o.required ? '' : '?'}: ${o.type}${o.default !== undefined ? ` = ${o.default}` : ''}`).join(', ');
}

export interface ExampleRun {
  example: TransformerExample;
  column: ColumnInfo;
  output: string | null;
}

export function runExample(definition: TransformerDefinition<unknown>, example: TransformerExample): ExampleRun {
  const column: ColumnInfo = { schema: 'public', table: 'example', name: 'value', type: 'text', baseType: 'text', ...example.column };
  const options = definition.options.parse(example.options ?? {});
  const rowValues = example.row ?? {};
  const row: RowView = { get: (name) => rowValues[name] ?? null };
  const apply = definition.create(options, { column, salt: EXAMPLE_SALT, tableColumns: ['value', ...Object.keys(rowValues)], transformOf: () => undefined });
  return { example, column, output: apply(example.input, row) };
}

function show(value: string | null): string {
  return value === null ? 'NULL' : JSON.stringify(value);
}

export function formatExample(run: ExampleRun): string {
  const options = run.example.options ? ` ${JSON.stringify(run.example.options)}` : '';
  const on = run.column.type === 'text' ? '' : ` (${run.column.type})`;
  return `${show(run.example.input)}${on}${options} → ${show(run.output)}`;
}

/** Rows of `transformer list`: name, deterministic, accepts, options, example, description. */
export function listRows(registry: TransformerRegistry): string[][] {
  return registry.all().map((definition) => {
    const first = definition.examples[0];
    return [
      definition.name,
      definition.deterministic ? 'yes' : 'no',
      formatOptions(definition),
      first ? formatExample(runExample(definition, first)) : '-',
      definition.description,
    ];
  });
}

/** `transformer list --json`: every transformer with its options (type, default, required) and its examples run. */
export function listJson(registry: TransformerRegistry): Array<Record<string, unknown>> {
  return registry.all().map((definition) => ({
    name: definition.name,
    description: definition.description,
    deterministic: definition.deterministic,
    accepts: definition.accepts,
    uniqueColumns: definition.unique === 'keeps' ? 'kept distinct' : 'refused',
    options: optionsOf(definition).map((o) => ({ name: o.name, type: o.type, required: o.required, ...(o.default !== undefined && { default: JSON.parse(o.default) as unknown }) })),
    examples: definition.examples.map((example) => {
      const run = runExample(definition, example);
      return { input: example.input, ...(example.options && { options: example.options }), column: run.column.type, ...(example.row && { row: example.row }), output: run.output };
    }),
  }));
}

/** docs/transformers.md: the generated half of the transformer reference. */
export function renderReference(registry: TransformerRegistry): string {
  const lines: string[] = [
    '<!-- Generated by `npm run docs:transformers` from src/transformers/builtin/: do not edit by hand. -->',
    '',
    '| name | accepts | unique columns | options |',
    '|---|---|---|---|',
  ];
  for (const d of registry.all()) {
    lines.push(`| [\`${d.name}\`](#${d.name}) | ${d.accepts} | ${d.unique === 'keeps' ? 'kept distinct' : 'refused'} | ${escapeCell(formatOptions(d))} |`);
  }
  for (const d of registry.all()) {
    lines.push('', `### ${d.name}`, '', d.description, '');
    lines.push(`- Accepts: ${d.accepts}`);
    lines.push(`- Deterministic: ${d.deterministic ? 'yes (same value, options and salt → same output)' : 'no'}`);
    lines.push(`- Unique columns: ${d.unique === 'keeps' ? 'distinct inputs stay distinct' : 'refused (outputs may repeat)'}`);
    const options = optionsOf(d);
    if (options.length > 0) {
      lines.push('- Options:');
      for (const o of options) lines.push(`  - \`${o.name}\` (${o.type}${o.required ? ', required' : ''}${o.default !== undefined ? `, default \`${o.default}\`` : ''})`);
    }
    if (d.examples.length > 0) {
      lines.push('- Examples:');
      for (const example of d.examples) lines.push(`  - \`${formatExample(runExample(d, example)).replaceAll('`', "'")}\``);
    }
  }
  return `${lines.join('\n')}\n`;
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|');
}
