import type { ColumnInfo } from '../../transformers/transformer.js';
import { lengthBounds } from './constraints.js';

/**
 * MySQL column types in the vocabulary the transformers understand (PostgreSQL's base type names,
 * plus MySQL's own integer widths), so that `refuses()` and the range/length checks work on both engines:
 *
 * | MySQL                                  | baseType                          |
 * |----------------------------------------|-----------------------------------|
 * | char(n) / varchar(n)                   | bpchar / varchar, maxLength n     |
 * | tinytext, text, mediumtext, longtext   | text                              |
 * | tinyint(1) (BOOLEAN)                   | bool                              |
 * | tinyint, smallint, mediumint, int, bigint | int1, int2, int3, int4, int8 (`uint…` when UNSIGNED) |
 * | decimal(p,s) / float / double          | numeric (decimal: p, s, unsigned) / float4 / float8 |
 * | date, time, year                       | date, time, year                  |
 * | datetime / timestamp                   | timestamp (TIMESTAMP: timeRange 1970–2038) |
 * | json (and MariaDB's json_valid longtext) | json                            |
 * | enum(…) / set(…)                       | enum / set, enumValues = members  |
 * | binary, varbinary, *blob               | bytea                             |
 * | bit(n)                                 | bit                               |
 * | geometry types                         | geometry                          |
 */
export function mysqlColumnInfo(
  schema: string,
  table: string,
  name: string,
  columnType: string,
  extra: { unique?: boolean; uniquePrefix?: number; json?: boolean; notNull?: boolean; checks?: string[] } = {},
): ColumnInfo {
  const type = columnType.trim();
  const lower = type.toLowerCase();
  const dataType = /^[a-z]+/.exec(lower)?.[0] ?? lower;
  const unsigned = /\bunsigned\b/.test(lower);
  const size = /^[a-z]+\s*\((\d+)/.exec(lower)?.[1];
  const info: ColumnInfo = { schema, table, name, type, baseType: baseTypeOf(dataType, unsigned, size, extra.json ?? false) };
  if ((dataType === 'char' || dataType === 'varchar') && size) info.maxLength = Number(size);
  if (info.baseType === 'numeric') {
    // DECIMAL alone is DECIMAL(10,0); DECIMAL(p) is DECIMAL(p,0).
    const scale = /^[a-z]+\s*\(\s*\d+\s*,\s*(\d+)/.exec(lower)?.[1];
    info.decimal = { precision: Number(size ?? 10), scale: Number(scale ?? 0), ...(unsigned && { unsigned: true }) };
  }
  if (extra.checks && extra.checks.length > 0) {
    info.checks = extra.checks;
    // A CHECK on the length narrows what the fakes may write, as varchar(n) does (bytes bound characters too).
    const { characters, bytes } = lengthBounds(extra.checks, name);
    const limit = Math.min(info.maxLength ?? Infinity, characters ?? Infinity, bytes ?? Infinity);
    if (limit !== Infinity) info.maxLength = Math.max(0, limit);
    if (bytes !== undefined) info.maxBytes = Math.max(0, bytes);
  }
  if (dataType === 'enum' || dataType === 'set') info.enumValues = enumMembers(type);
  // The session runs in UTC (connection.ts): a TIMESTAMP reads and writes as a DATETIME without offset, in its range.
  if (dataType === 'timestamp') info.timeRange = ['1970-01-01 00:00:01', '2038-01-19 03:14:07'];
  if (extra.unique) info.unique = true;
  if (extra.unique && extra.uniquePrefix !== undefined) info.uniquePrefix = extra.uniquePrefix;
  if (extra.notNull) info.notNull = true;
  return info;
}

const INTEGER_TYPES: Record<string, string> = { tinyint: '1', smallint: '2', mediumint: '3', int: '4', integer: '4', bigint: '8' };
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
const GEOMETRY_TYPES = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection']);

function baseTypeOf(dataType: string, unsigned: boolean, size: string | undefined, json: boolean): string {
  if (json || dataType === 'json') return 'json';
  if (dataType === 'tinyint' && size === '1' && !unsigned) return 'bool';
  const width = INTEGER_TYPES[dataType];
  if (width) return `${unsigned ? 'uint' : 'int'}${width}`;
  if (dataType === 'char') return 'bpchar';
  if (dataType === 'varchar') return 'varchar';
  if (dataType.endsWith('text')) return 'text';
  if (dataType === 'decimal' || dataType === 'numeric' || dataType === 'dec' || dataType === 'fixed') return 'numeric';
  if (dataType === 'float') return 'float4';
  if (dataType === 'double' || dataType === 'real') return 'float8';
  if (dataType === 'datetime') return 'timestamp';
  if (BINARY_TYPES.has(dataType)) return 'bytea';
  if (GEOMETRY_TYPES.has(dataType)) return 'geometry';
  return dataType; // date, time, year, enum, set, bit, uuid, inet4, inet6 …
}

/** `enum('a','it''s')` → ['a', "it's"]. */
export function enumMembers(columnType: string): string[] {
  const members: string[] = [];
  const pattern = /'((?:[^'\\]|''|\\.)*)'/g;
  for (const match of columnType.matchAll(pattern)) members.push(match[1]!.replaceAll("''", "'").replace(/\\(.)/g, '$1'));
  return members;
}

/** How a value of this MySQL type is written in an INSERT: bare number, 0x… hex, or a quoted string. */
export type LiteralKind = 'number' | 'hex' | 'string';

export function literalKindOf(column: Pick<ColumnInfo, 'baseType'>): LiteralKind {
  const base = column.baseType;
  if (/^u?int\d$/.test(base) || base === 'bool' || base === 'numeric' || base === 'float4' || base === 'float8' || base === 'year') return 'number';
  if (base === 'bytea' || base === 'bit' || base === 'geometry') return 'hex';
  return 'string';
}
