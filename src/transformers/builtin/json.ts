import { z } from 'zod';
import { ReplibyteError } from '../../errors.js';
import type { ValueTransform } from '../row-transform.js';
import { parsePath, REMOVE, updateAtPath, type PathStep } from '../json-path.js';
import type { TransformerRegistry } from '../registry.js';
import { defineTransformer, type ColumnInfo } from '../transformer.js';

/** Types a path's values may be given, so that date-shift, number-noise… work inside documents. */
const VALUE_TYPES: Record<string, Pick<ColumnInfo, 'type' | 'baseType'>> = {
  text: { type: 'text', baseType: 'text' },
  integer: { type: 'bigint', baseType: 'int8' },
  number: { type: 'double precision', baseType: 'float8' },
  date: { type: 'date', baseType: 'date' },
  timestamp: { type: 'timestamp without time zone', baseType: 'timestamp' },
  timestamptz: { type: 'timestamp with time zone', baseType: 'timestamptz' },
  uuid: { type: 'uuid', baseType: 'uuid' },
};

const pathEntry = z
  .strictObject({
    path: z.string().min(1),
    transformer_name: z.string().min(1).optional(),
    transformer_options: z.record(z.string(), z.unknown()).optional(),
    /** How the values at the path are typed for the transformer (default text). */
    type: z.enum(Object.keys(VALUE_TYPES) as [string, ...string[]]).default('text'),
    /** Take the field (or array element) out of the document instead of transforming it. */
    delete: z.literal(true).optional(),
  })
  .refine((entry) => (entry.transformer_name === undefined) !== (entry.delete === undefined), 'give a path either `transformer_name` or `delete: true`');

/**
 * Applies transformers to paths inside json/jsonb values (path syntax in json-path.ts). Strings, numbers
 * and booleans at a path are handed over as text; a number stays a number when the output is one. A
 * document in which no path matches is written back byte for byte.
 *
 * Known limit: a document that is rewritten goes through JSON.parse, so an integer beyond 2^53 elsewhere
 * in it loses precision (Node 20 has no access to a number's source text).
 */
export function jsonTransformer(registry: () => TransformerRegistry) {
  return defineTransformer({
    name: 'json',
    description:
      'Applies transformers to paths inside json/jsonb values: `paths: [{path: "contacts.$.email", transformer_name: email}]` (`$.a.b` or `a.b`; `$`, `$[]` or `[*]` for every array element). `{path: ssn, delete: true}` takes the field (or array element) out of the document.',
    options: z.strictObject({ paths: z.array(pathEntry).min(1) }),
    deterministic: true,
    accepts: 'json, jsonb',
    refuses: (column) => (['json', 'jsonb'].includes(column.baseType) ? undefined : `it reads JSON documents, and ${column.name} is ${column.type}`),
    examples: [
      {
        input: '{"name": "Jane Doe", "contacts": [{"email": "jane@acme.com"}, {"email": "j.doe@gmail.com"}]}',
        options: { paths: [{ path: 'name', transformer_name: 'full-name' }, { path: 'contacts.$.email', transformer_name: 'email' }] },
        column: { type: 'jsonb', baseType: 'jsonb' },
      },
      { input: '{"name": "Jane Doe", "ssn": "078-05-1120"}', options: { paths: [{ path: 'ssn', delete: true }] }, column: { type: 'jsonb', baseType: 'jsonb' } },
    ],
    create: (options, context) => {
      const steps: Array<{ steps: PathStep[]; transform: ValueTransform | typeof REMOVE }> = options.paths.map((entry, i) => {
        if (entry.delete) {
          try {
            return { steps: parsePath(entry.path), transform: REMOVE };
          } catch (error) {
            throw new ReplibyteError(`paths[${i}]: ${(error as Error).message}`);
          }
        }
        const definition = registry().get(entry.transformer_name!);
        if (!definition || definition.name === 'json') throw new ReplibyteError(`paths[${i}]: unknown transformer ${entry.transformer_name}`);
        let parsed: PathStep[];
        try {
          parsed = parsePath(entry.path);
        } catch (error) {
          throw new ReplibyteError(`paths[${i}]: ${(error as Error).message}`);
        }
        const column: ColumnInfo = { ...context.column, ...VALUE_TYPES[entry.type]!, name: `${context.column.name}.${entry.path}` };
        delete column.maxLength;
        delete column.unique;
        delete column.enumValues;
        const refusal = definition.refuses?.(column);
        if (refusal) throw new ReplibyteError(`paths[${i}]: ${definition.name} cannot transform ${entry.path} as ${entry.type}: ${refusal}`);
        const nested = definition.options.safeParse(entry.transformer_options ?? {});
        if (!nested.success) throw new ReplibyteError(`paths[${i}].transformer_options: ${nested.error.issues[0]?.message ?? 'invalid'}`);
        return { steps: parsed, transform: definition.create(nested.data, { ...context, column }) };
      });
      return (value, row) => {
        if (value === null) return null;
        const document: unknown = JSON.parse(value);
        let changed = false;
        for (const path of steps) {
          const { transform } = path;
          if (transform === REMOVE) {
            changed = updateAtPath(document, path.steps, () => REMOVE) || changed;
            continue;
          }
          changed =
            updateAtPath(document, path.steps, (leaf) => {
              if (leaf === null) return transform(null, row);
              const text = typeof leaf === 'string' ? leaf : JSON.stringify(leaf);
              const out = transform(text, row);
              if (out === null) return null;
              if (typeof leaf === 'number' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(out)) return Number(out);
              if (typeof leaf === 'boolean' && (out === 'true' || out === 'false')) return out === 'true';
              return out;
            }) || changed;
        }
        return changed ? JSON.stringify(document) : value;
      };
    },
  });
}
