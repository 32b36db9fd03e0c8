import type { ColumnInfo } from '../../transformers/transformer.js';
import { closingBracket, identifierName, isKeyword, isName, isPunctuation, readDottedName, splitTopLevel, tokenize, type Token } from '../../engines/postgres/sql-lexer.js';
import { tableOf, type TableName } from '../../engines/postgres/table-name.js';

export interface ScriptTable extends TableName {
  columns: Array<ColumnInfo & { generated: boolean }>;
  /** `PARTITION OF`, `ATTACH PARTITION`, `INHERITS (…)`, `INHERIT`: what the config names on these reaches this table. */
  parents: TableName[];
  /** `PARTITION BY …`: the columns its key names (a column read by a key expression included). */
  partitionKey?: string[];
  /**
   * `INHERITS (…)`: the CREATE TABLE lists only the table's own columns, so the source's column order
   * (which an INSERT without a column list follows) is not known; `columns` is the restored table's order.
   */
  columnOrderGuessed?: boolean;
}

interface TypeInfo {
  baseType: string;
  maxLength?: number;
  decimal?: { precision: number; scale: number };
  enumValues?: string[];
}

/** pg_dump's type names → the catalog's base type names (what transformers check against). */
const BUILTIN_TYPES: Record<string, string> = {
  integer: 'int4', int: 'int4', int4: 'int4', bigint: 'int8', int8: 'int8', smallint: 'int2', int2: 'int2',
  'character varying': 'varchar', varchar: 'varchar', character: 'bpchar', char: 'bpchar', bpchar: 'bpchar',
  boolean: 'bool', bool: 'bool', 'double precision': 'float8', float8: 'float8', real: 'float4', float4: 'float4',
  decimal: 'numeric', numeric: 'numeric', 'timestamp with time zone': 'timestamptz', timestamptz: 'timestamptz',
  'timestamp without time zone': 'timestamp', timestamp: 'timestamp', 'time with time zone': 'timetz',
  'time without time zone': 'time', time: 'time', 'bit varying': 'varbit', serial: 'int4', bigserial: 'int8', smallserial: 'int2',
};

const COLUMN_END = new Set(['DEFAULT', 'NOT', 'NULL', 'CONSTRAINT', 'GENERATED', 'COLLATE', 'CHECK', 'REFERENCES', 'PRIMARY', 'UNIQUE', 'COMPRESSION', 'STORAGE']);
const TABLE_CONSTRAINT = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN', 'EXCLUDE', 'LIKE']);

/**
 * What the script says about its tables, read from its DDL as it streams by: CREATE SCHEMA, CREATE
 * DOMAIN and CREATE TYPE … AS ENUM (to resolve column types), CREATE TABLE (columns and types).
 * Enough for transformers' ColumnInfo; constraints come after the data in a pg_dump script, so
 * `unique` is never known here.
 */
export class ScriptCatalog {
  readonly schemas = new Set<string>(['public']);
  readonly tables: ScriptTable[] = [];
  private readonly types = new Map<string, TypeInfo>();

  /** Reads one statement of the script; statements that define nothing of interest are ignored. */
  read(sql: string): void {
    const tokens = tokenize(sql, 8);
    if (isKeyword(tokens[0], 'ALTER') && isKeyword(tokens[1], 'TABLE')) {
      this.readAlterTable(tokenize(sql, 40));
      return;
    }
    if (!isKeyword(tokens[0], 'CREATE')) return;
    let at = 1;
    while (['UNLOGGED', 'TEMP', 'TEMPORARY', 'FOREIGN', 'GLOBAL', 'LOCAL'].some((k) => isKeyword(tokens[at], k))) at += 1;
    if (isKeyword(tokens[at], 'SCHEMA')) {
      at += 1;
      if (isKeyword(tokens[at], 'IF')) at += 3;
      if (isName(tokens[at]) && !isKeyword(tokens[at], 'AUTHORIZATION')) this.schemas.add(identifierName(tokens[at]!));
    } else if (isKeyword(tokens[at], 'TABLE')) {
      this.readTable(tokenize(sql));
    } else if (isKeyword(tokens[at], 'DOMAIN')) {
      this.readDomain(tokenize(sql));
    } else if (isKeyword(tokens[at], 'TYPE')) {
      this.readEnum(tokenize(sql));
    }
  }

  find(table: TableName): ScriptTable | undefined {
    return this.tables.find((t) => t.schema === table.schema && t.name === table.name);
  }

  /** The tables a table descends from as the script has shown them so far, nearest first. */
  ancestors(table: TableName): TableName[] {
    const found: TableName[] = [];
    const seen = new Set<string>([JSON.stringify([table.schema, table.name])]);
    let level = this.find(table)?.parents ?? [];
    while (level.length > 0) {
      const next: TableName[] = [];
      for (const parent of level) {
        const key = JSON.stringify([parent.schema, parent.name]);
        if (seen.has(key)) continue;
        seen.add(key);
        found.push(parent);
        next.push(...(this.find(parent)?.parents ?? []));
      }
      level = next;
    }
    return found;
  }

  /**
   * `ALTER TABLE [ONLY] parent ATTACH PARTITION child …` (how pg_dump puts partitions in their
   * partitioned table, after creating them as plain tables) and `ALTER TABLE child INHERIT parent`.
   */
  private readAlterTable(tokens: Token[]): void {
    let at = 2;
    if (isKeyword(tokens[at], 'IF')) at += 2;
    if (isKeyword(tokens[at], 'ONLY')) at += 1;
    const altered = readDottedName(tokens, at);
    if (!altered) return;
    const next = altered.next;
    if (isKeyword(tokens[next], 'ATTACH') && isKeyword(tokens[next + 1], 'PARTITION')) {
      const child = readDottedName(tokens, next + 2);
      if (child) this.addParent(tableOf(child.parts), tableOf(altered.parts));
    } else if (isKeyword(tokens[next], 'INHERIT')) {
      const parent = readDottedName(tokens, next + 1);
      if (parent) this.addParent(tableOf(altered.parts), tableOf(parent.parts));
    }
  }

  private addParent(child: TableName, parent: TableName): void {
    const table = this.find(child);
    if (table && !table.parents.some((p) => p.schema === parent.schema && p.name === parent.name)) table.parents.push(parent);
  }

  private readTable(tokens: Token[]): void {
    let at = 1;
    while (!isKeyword(tokens[at], 'TABLE')) at += 1;
    at += 1;
    if (isKeyword(tokens[at], 'IF')) at += 3;
    const name = readDottedName(tokens, at);
    if (!name) return;
    const table = tableOf(name.parts);
    at = name.next;
    let columns: ScriptTable['columns'] = [];
    const parents: TableName[] = [];
    let tail = at;
    if (isKeyword(tokens[at], 'PARTITION') && isKeyword(tokens[at + 1], 'OF')) {
      // CREATE TABLE child PARTITION OF parent: the parent's columns.
      const parent = readDottedName(tokens, at + 2);
      const parentTable = parent && this.find(tableOf(parent.parts));
      if (parent) parents.push(tableOf(parent.parts));
      for (const column of parentTable?.columns ?? []) columns.push({ ...column, schema: table.schema, table: table.name });
      tail = parent?.next ?? at;
    } else if (isPunctuation(tokens[at], '(')) {
      const close = closingBracket(tokens, at);
      tail = close + 1;
      for (const [from, to] of splitTopLevel(tokens, at + 1, close)) {
        const first = tokens[from];
        if (!isName(first) || (first.type === 'identifier' && TABLE_CONSTRAINT.has(first.text.toUpperCase()))) continue;
        let typeEnd = from + 1;
        while (typeEnd < to && !(tokens[typeEnd]!.type === 'identifier' && COLUMN_END.has(tokens[typeEnd]!.text.toUpperCase()))) {
          if (isPunctuation(tokens[typeEnd], '(') || isPunctuation(tokens[typeEnd], '[')) typeEnd = closingBracket(tokens, typeEnd);
          typeEnd += 1;
        }
        const typeTokens = tokens.slice(from + 1, typeEnd);
        const generatedAt = tokens.slice(typeEnd, to).findIndex((t) => isKeyword(t, 'GENERATED'));
        const generated = generatedAt !== -1 && tokens.slice(typeEnd + generatedAt, to).some((t, i, all) => isKeyword(t, 'AS') && isPunctuation(all[i + 1], '('));
        columns.push({ schema: table.schema, table: table.name, name: identifierName(first), type: typeTokens.map((t) => t.text).join(' ').replace(/ ([(),[\].]) ?/g, '$1'), generated, ...this.resolveType(typeTokens) });
      }
    }
    // `INHERITS (a, b)`: the parents' columns come first, in their order; the table's own follow.
    const inherits = tokens.findIndex((t, i) => i >= tail && isKeyword(t, 'INHERITS') && isPunctuation(tokens[i + 1], '('));
    if (inherits !== -1) {
      const inherited: ScriptTable['columns'] = [];
      for (const [from] of splitTopLevel(tokens, inherits + 2, closingBracket(tokens, inherits + 1))) {
        const parent = readDottedName(tokens, from);
        if (!parent) continue;
        parents.push(tableOf(parent.parts));
        for (const column of this.find(tableOf(parent.parts))?.columns ?? []) {
          if (!inherited.some((c) => c.name === column.name)) inherited.push({ ...column, schema: table.schema, table: table.name });
        }
      }
      columns = [...inherited, ...columns.filter((column) => !inherited.some((c) => c.name === column.name))];
    }
    const partitionBy = tokens.findIndex((t, i) => i >= tail && isKeyword(t, 'PARTITION') && isKeyword(tokens[i + 1], 'BY'));
    const keyOpen = partitionBy === -1 ? -1 : tokens.findIndex((t, i) => i > partitionBy && isPunctuation(t, '('));
    const partitionKey =
      keyOpen === -1
        ? undefined
        : columns.map((c) => c.name).filter((name) => tokens.slice(keyOpen, closingBracket(tokens, keyOpen)).some((t) => isName(t) && identifierName(t) === name));
    const existing = this.tables.findIndex((t) => t.schema === table.schema && t.name === table.name);
    if (existing !== -1) this.tables.splice(existing, 1);
    this.tables.push({ ...table, columns, parents, ...(partitionKey && { partitionKey }), ...(inherits !== -1 && { columnOrderGuessed: true }) });
  }

  private readDomain(tokens: Token[]): void {
    const name = readDottedName(tokens, 2);
    if (!name) return;
    let at = name.next;
    if (isKeyword(tokens[at], 'AS')) at += 1;
    let end = at;
    while (end < tokens.length && !(tokens[end]!.type === 'identifier' && COLUMN_END.has(tokens[end]!.text.toUpperCase()))) {
      if (isPunctuation(tokens[end], '(') || isPunctuation(tokens[end], '[')) end = closingBracket(tokens, end);
      end += 1;
    }
    if (isPunctuation(tokens[end - 1], ';')) end -= 1;
    this.types.set(typeKey(name.parts), this.resolveType(tokens.slice(at, end)));
  }

  private readEnum(tokens: Token[]): void {
    const name = readDottedName(tokens, 2);
    if (!name || !isKeyword(tokens[name.next], 'AS') || !isKeyword(tokens[name.next + 1], 'ENUM')) return;
    const open = name.next + 2;
    if (!isPunctuation(tokens[open], '(')) return;
    const values = splitTopLevel(tokens, open + 1, closingBracket(tokens, open)).map(([from]) => tokens[from]!.text.slice(1, -1).replaceAll("''", "'"));
    this.types.set(typeKey(name.parts), { baseType: name.parts[name.parts.length - 1]!, enumValues: values });
  }

  /** The base type of a declared type: built-in names mapped, domains and enums of the script resolved. */
  private resolveType(typeTokens: Token[]): TypeInfo {
    const isArray = typeTokens.some((t) => isPunctuation(t, '[') || isKeyword(t, 'ARRAY'));
    const nameTokens: Token[] = [];
    let modifier: number | undefined;
    let scale: number | undefined;
    for (let i = 0; i < typeTokens.length; i += 1) {
      const t = typeTokens[i]!;
      if (isPunctuation(t, '(')) {
        if (modifier === undefined && typeTokens[i + 1]?.type === 'number') {
          modifier = Number(typeTokens[i + 1]!.text);
          // numeric(6, 2), numeric(2, -3): the scale after the comma.
          const negative = typeTokens[i + 3]?.type === 'operator' && typeTokens[i + 3]!.text === '-';
          const scaleToken = typeTokens[i + (negative ? 4 : 3)];
          if (isPunctuation(typeTokens[i + 2], ',') && scaleToken?.type === 'number') scale = Number(scaleToken.text) * (negative ? -1 : 1);
        }
        i = closingBracket(typeTokens, i);
      } else if (isPunctuation(t, '[')) i = closingBracket(typeTokens, i);
      else if (isName(t) && !isKeyword(t, 'ARRAY')) nameTokens.push(t);
    }
    // `public.email_address`, `pg_catalog.int4`, `character varying`, `timestamp with time zone`.
    const qualified = typeTokens.some((t) => isPunctuation(t, '.'));
    const parts = nameTokens.map(identifierName);
    let info: TypeInfo;
    const domain = this.types.get(typeKey(qualified ? parts : ['public', ...parts])) ?? this.types.get(typeKey(parts));
    if (domain) info = { ...domain };
    else {
      const spelled = (qualified && parts[0] === 'pg_catalog' ? parts.slice(1) : qualified ? parts.slice(-1) : parts).join(' ');
      const baseType = BUILTIN_TYPES[spelled] ?? spelled;
      info = { baseType };
      if (baseType === 'varchar' || baseType === 'bpchar') {
        if (modifier !== undefined) info.maxLength = modifier;
        else if (baseType === 'bpchar' && spelled !== 'bpchar') info.maxLength = 1;
      }
      if (baseType === 'numeric' && modifier !== undefined) info.decimal = { precision: modifier, scale: scale ?? 0 };
    }
    if (isArray) return { baseType: `_${info.baseType}` };
    return info;
  }
}

function typeKey(parts: string[]): string {
  const [schema, name] = parts.length >= 2 ? parts.slice(-2) : ['public', parts[0]];
  return JSON.stringify([schema, name]);
}
