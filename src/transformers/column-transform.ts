import { ReplibyteError } from '../errors.js';
import { withFamilyForm } from './column-family.js';
import { compileCondition, type KindOf, type ValueKind } from './condition.js';
import type { RowView, TransformRecipe, ValueTransform } from './row-transform.js';
import type { TransformerContext, TransformerDefinition } from './transformer.js';

/*
 * One column's function, built the same way by the plan (main thread) and by a row-transform worker from
 * the recipe: the transformer, with its options read from the row where they say `{ column: name }` or
 * `{ transformed: name }`, run only on the rows where its `when:` condition holds.
 */

/** An option whose value is read from the row: `{ column: first_name }` or `{ transformed: first_name }`. */
export interface OptionReference {
  /** Where it sits in transformer_options (`['paths', 0, 'transformer_options', 'value']`). */
  path: Array<string | number>;
  from: 'column' | 'transformed';
  name: string;
}

/** How many distinct sets of row-read options keep their built transformer (then it starts over). */
const REMEMBERED_OPTION_SETS = 1024;

export function optionReferences(options: unknown, path: Array<string | number> = []): OptionReference[] {
  const reference = asReference(options);
  if (reference) return [{ path, ...reference }];
  if (Array.isArray(options)) return options.flatMap((item, i) => optionReferences(item, [...path, i]));
  if (options !== null && typeof options === 'object') return Object.entries(options).flatMap(([key, item]) => optionReferences(item, [...path, key]));
  return [];
}

function asReference(value: unknown): Omit<OptionReference, 'path'> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  if (entries.length !== 1) return undefined;
  const [key, name] = entries[0]!;
  if ((key === 'column' || key === 'transformed') && typeof name === 'string' && name.length > 0) return { from: key, name };
  return undefined;
}

export function kindOfRecipe(recipe: Pick<TransformRecipe, 'kinds'>): KindOf {
  const { kinds } = recipe;
  return kinds ? (column) => (Object.hasOwn(kinds, column) ? kinds[column] : undefined) : () => 'any';
}

/** Builds a column's function from its recipe (`recipe.options` validated, unless `rowOptions`). */
export function buildColumnTransform(definition: TransformerDefinition<unknown>, recipe: TransformRecipe, context: TransformerContext): ValueTransform {
  const kindOf = kindOfRecipe(recipe);
  const built = recipe.rowOptions ? rowOptionsTransform(definition, recipe.options, context, kindOf) : definition.create(recipe.options, context);
  // char(n) without its padding, citext by its lower-case form: one fake per value across columns (column-family.ts).
  const transform = withFamilyForm(built, context.column, definition.name);
  if (recipe.when === undefined) return transform;
  const holds = compileCondition(recipe.when, context.column.name, kindOf);
  return (value, row) => (holds(value, row) ? transform(value, row) : value);
}

/** An option's value read from the row, as the option most likely takes it: a number column gives a number. */
function typedValue(text: string, kind: ValueKind | undefined): unknown {
  if (kind === 'number' && text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  if (kind === 'boolean') return ['t', 'true', '1'].includes(text.toLowerCase());
  return text;
}

/** The options with each reference replaced by its value (a NULL value leaves the option out, so its default applies). */
function substitute(options: unknown, references: readonly OptionReference[], values: readonly unknown[]): unknown {
  const copy = structuredClone(options) as Record<string | number, unknown>;
  references.forEach((reference, i) => {
    if (reference.path.length === 0) return;
    let parent = copy;
    for (const step of reference.path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
    const last = reference.path[reference.path.length - 1]!;
    if (values[i] === undefined) {
      if (Array.isArray(parent)) parent[last as number] = null;
      else delete parent[last];
    } else parent[last] = values[i];
  });
  return copy;
}

/** Validates the options once the row's values are in; a string that fails is tried again as a number. */
function parseWith(definition: TransformerDefinition<unknown>, options: unknown, references: readonly OptionReference[], values: unknown[]) {
  const first = definition.options.safeParse(substitute(options, references, values));
  if (first.success) return first;
  const numeric = values.map((v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v));
  if (numeric.every((v, i) => v === values[i])) return first;
  const second = definition.options.safeParse(substitute(options, references, numeric));
  return second.success ? second : first;
}

const SAMPLES: Record<ValueKind, unknown[]> = {
  number: [1],
  boolean: [true],
  date: ['2000-01-01'],
  text: ['a'],
  any: ['a', 1, true],
};

/**
 * Checks, before a row is read, options that read the row: each one's column exists, a `transformed`
 * column has a transformer, and the options validate with a value of the column's kind. Returns the
 * problems (empty: fine).
 */
export function checkRowOptions(definition: TransformerDefinition<unknown>, options: unknown, own: string, kindOf: KindOf, isTransformed: (column: string) => boolean): string[] {
  const references = optionReferences(options);
  const problems: string[] = [];
  for (const reference of references) {
    const where = `transformer_options.${reference.path.join('.')}`;
    if (kindOf(reference.name) === undefined) problems.push(`${where} reads ${reference.name}, which is not a column of the table`);
    else if (reference.from === 'transformed' && reference.name === own) problems.push(`${where} reads the transformed value of its own column (a cycle): use { column: ${own} } for its value`);
    else if (reference.from === 'transformed' && !isTransformed(reference.name)) problems.push(`${where} reads the transformed value of ${reference.name}, which has no transformer: use { column: ${reference.name} }`);
  }
  if (problems.length > 0) return problems;
  const samples = references.map((r) => SAMPLES[kindOf(r.name) ?? 'any']);
  const tried = samples.map((s) => s[0]);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const values = samples.map((s, i) => s[Math.min(attempt, s.length - 1)] ?? tried[i]);
    if (definition.options.safeParse(substitute(options, references, values)).success) return [];
  }
  const failed = definition.options.safeParse(substitute(options, references, tried));
  const issue = failed.success ? undefined : failed.error.issues[0];
  return [`transformer_options${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'} with a value read from the row (${references.map((r) => `${r.from} ${r.name}: ${kindOf(r.name)}`).join(', ')})`];
}

/**
 * A transformer whose options are read from each row. The transformer is built again for each distinct
 * set of values (the last ones are remembered), so it stays a pure function of the value, the row's
 * values and the salt: deterministic, and the same in every table.
 */
function rowOptionsTransform(definition: TransformerDefinition<unknown>, options: unknown, context: TransformerContext, kindOf: KindOf): ValueTransform {
  const own = context.column.name;
  const references = optionReferences(options);
  const readers = references.map((reference): ((value: string | null, row: RowView) => string | null) => {
    const original = (value: string | null, row: RowView) => (reference.name === own ? value : row.get(reference.name));
    if (reference.from === 'column') return original;
    return (value, row) => {
      const transform = context.transformOf?.(reference.name);
      if (!transform) throw new ReplibyteError(`${context.column.table}.${own}: no transformer for ${reference.name}, whose transformed value an option reads`);
      return transform(original(value, row), row);
    };
  });
  let built = new Map<string, ValueTransform>();
  return (value, row) => {
    const texts = readers.map((read) => read(value, row));
    const key = JSON.stringify(texts);
    let transform = built.get(key);
    if (!transform) {
      const values = texts.map((text, i) => (text === null ? undefined : typedValue(text, kindOf(references[i]!.name))));
      const parsed = parseWith(definition, options, references, values);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ReplibyteError(`${context.column.schema}.${context.column.table}.${own}: transformer_options${issue?.path.length ? `.${issue.path.join('.')}` : ''} read from the row (${references.map((r) => r.name).join(', ')}): ${issue?.message ?? 'invalid'}`);
      }
      transform = definition.create(parsed.data, context);
      if (built.size >= REMEMBERED_OPTION_SETS) built = new Map();
      built.set(key, transform);
    }
    return transform(value, row);
  };
}
