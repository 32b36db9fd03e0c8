import { isKeyword, isName, isPunctuation, readDottedName, tokenize, type Token } from './sql-lexer.js';
import { tableOf, type TableName } from './table-name.js';

/** What a DDL statement is about, for `skip`: the tables it names, the index it creates, the tables it references. */
export interface StatementTarget {
  /** Tables the statement belongs to: when one of them is skipped, the statement goes too. */
  tables: TableName[];
  /** Indexes the statement belongs to (COMMENT ON INDEX, ALTER INDEX … ATTACH PARTITION). */
  indexes: TableName[];
  /** `CREATE INDEX name ON t`: the index, so that later statements about it follow its table. */
  createsIndex?: TableName;
  /** Tables a foreign key of the statement references. */
  references: TableName[];
}

const HEAD_TOKENS = 200;

/**
 * Recognises the statements of a pg_dump script that belong to one table (best effort, by their
 * first tokens): CREATE TABLE, ALTER TABLE (owner, defaults, constraints, ATTACH PARTITION),
 * ALTER SEQUENCE … OWNED BY, CREATE INDEX … ON, CREATE TRIGGER/POLICY/RULE … ON, COMMENT ON
 * TABLE/COLUMN/CONSTRAINT/TRIGGER/POLICY/INDEX, GRANT/REVOKE … ON TABLE, SECURITY LABEL ON TABLE.
 */
export function statementTarget(sql: string): StatementTarget {
  const tokens = tokenize(sql, HEAD_TOKENS);
  const target: StatementTarget = { tables: [], indexes: [], references: [] };
  const name = (at: number) => readDottedName(tokens, at);
  const addTable = (at: number) => {
    const found = name(at);
    if (found) target.tables.push(tableOf(found.parts));
    return found;
  };
  const first = tokens[0]?.text.toUpperCase();
  if (first === 'CREATE') {
    let at = 1;
    while (['UNLOGGED', 'TEMP', 'TEMPORARY', 'FOREIGN', 'GLOBAL', 'LOCAL', 'UNIQUE', 'OR', 'REPLACE', 'CONSTRAINT'].some((k) => isKeyword(tokens[at], k))) at += 1;
    const kind = tokens[at]?.text.toUpperCase();
    if (kind === 'TABLE') {
      at += 1;
      if (isKeyword(tokens[at], 'IF')) at += 3;
      const created = addTable(at);
      if (created && isKeyword(tokens[created.next], 'PARTITION') && isKeyword(tokens[created.next + 1], 'OF')) addTable(created.next + 2);
    } else if (kind === 'INDEX') {
      at += 1;
      if (isKeyword(tokens[at], 'CONCURRENTLY')) at += 1;
      if (isKeyword(tokens[at], 'IF')) at += 3;
      const index = isKeyword(tokens[at], 'ON') ? undefined : name(at);
      const on = index ? index.next : at;
      if (isKeyword(tokens[on], 'ON')) {
        const table = addTable(isKeyword(tokens[on + 1], 'ONLY') ? on + 2 : on + 1);
        if (index && table) target.createsIndex = { schema: tableOf(table.parts).schema, name: index.parts[index.parts.length - 1]! };
      }
    } else if (kind === 'TRIGGER' || kind === 'POLICY' || kind === 'RULE') {
      const on = tokens.findIndex((t, i) => i > at && (isKeyword(t, 'ON') || (kind === 'RULE' && isKeyword(t, 'TO'))) && isName(tokens[i + 1]));
      if (kind === 'RULE') {
        const to = tokens.findIndex((t, i) => i > at && isKeyword(t, 'TO'));
        if (to !== -1) addTable(to + 1);
      } else if (on !== -1) addTable(on + 1);
    }
  } else if (first === 'ALTER') {
    const kind = tokens[1]?.text.toUpperCase();
    if (kind === 'TABLE' || kind === 'FOREIGN') {
      let at = kind === 'FOREIGN' ? 3 : 2;
      if (isKeyword(tokens[at], 'IF')) at += 2;
      if (isKeyword(tokens[at], 'ONLY')) at += 1;
      const altered = addTable(at);
      if (altered) {
        const attach = tokens.findIndex((t, i) => i >= altered.next && isKeyword(t, 'ATTACH') && isKeyword(tokens[i + 1], 'PARTITION'));
        if (attach !== -1) addTable(attach + 2);
        // ADD CONSTRAINT name PRIMARY KEY / UNIQUE / EXCLUDE creates the index `name`: a partition's index
        // is attached to it later (ALTER INDEX … ATTACH PARTITION), which goes with the skipped table.
        const constraint = tokens.findIndex((t, i) => i >= altered.next && isKeyword(t, 'ADD') && isKeyword(tokens[i + 1], 'CONSTRAINT'));
        const index = constraint === -1 ? undefined : name(constraint + 2);
        if (index && ['PRIMARY', 'UNIQUE', 'EXCLUDE'].some((k) => isKeyword(tokens[index.next], k))) {
          target.createsIndex = { schema: tableOf(altered.parts).schema, name: index.parts[index.parts.length - 1]! };
        }
        target.references.push(...references(tokens, altered.next));
      }
    } else if (kind === 'SEQUENCE') {
      const owned = tokens.findIndex((t, i) => isKeyword(t, 'OWNED') && isKeyword(tokens[i + 1], 'BY'));
      const column = owned === -1 ? undefined : name(owned + 2);
      if (column && column.parts.length >= 2) target.tables.push(tableOf(column.parts.slice(0, -1)));
    } else if (kind === 'INDEX') {
      const index = name(2);
      if (index) {
        target.indexes.push(tableOf(index.parts));
        const attach = tokens.findIndex((t, i) => isKeyword(t, 'ATTACH') && isKeyword(tokens[i + 1], 'PARTITION'));
        const attached = attach === -1 ? undefined : name(attach + 2);
        if (attached) target.indexes.push(tableOf(attached.parts));
      }
    }
  } else if (first === 'COMMENT' && isKeyword(tokens[1], 'ON')) {
    const kind = tokens[2]?.text.toUpperCase();
    if (kind === 'TABLE' || kind === 'VIEW') addTable(3);
    else if (kind === 'COLUMN') {
      const column = name(3);
      if (column && column.parts.length >= 2) target.tables.push(tableOf(column.parts.slice(0, -1)));
    } else if (kind === 'CONSTRAINT' || kind === 'TRIGGER' || kind === 'POLICY' || kind === 'RULE') {
      const on = tokens.findIndex((t, i) => i > 3 && isKeyword(t, 'ON'));
      if (on !== -1) addTable(on + 1);
    } else if (kind === 'INDEX') {
      const index = name(3);
      if (index) target.indexes.push(tableOf(index.parts));
    }
  } else if (first === 'GRANT' || first === 'REVOKE') {
    const on = tokens.findIndex((t, i) => isKeyword(t, 'ON') && depthAt(tokens, i) === 0);
    if (on !== -1) {
      const next = tokens[on + 1];
      if (isKeyword(next, 'TABLE')) addTable(on + 2);
      else if (isName(next) && !['SEQUENCE', 'SCHEMA', 'FUNCTION', 'PROCEDURE', 'ROUTINE', 'DATABASE', 'TYPE', 'DOMAIN', 'LANGUAGE', 'LARGE', 'FOREIGN', 'TABLESPACE', 'ALL'].includes(next.text.toUpperCase())) addTable(on + 1);
    }
  } else if (first === 'SECURITY' && isKeyword(tokens[1], 'LABEL')) {
    const on = tokens.findIndex((t, i) => isKeyword(t, 'ON') && isKeyword(tokens[i + 1], 'TABLE'));
    if (on !== -1) addTable(on + 2);
  }
  return target;
}

function references(tokens: Token[], from: number): TableName[] {
  const found: TableName[] = [];
  for (let i = from; i < tokens.length; i += 1) {
    if (!isKeyword(tokens[i], 'REFERENCES')) continue;
    const referenced = readDottedName(tokens, i + 1);
    if (referenced) found.push(tableOf(referenced.parts));
  }
  return found;
}

function depthAt(tokens: Token[], index: number): number {
  let depth = 0;
  for (let i = 0; i < index; i += 1) {
    if (isPunctuation(tokens[i], '(')) depth += 1;
    else if (isPunctuation(tokens[i], ')')) depth -= 1;
  }
  return depth;
}
