import { isKeyword, isPunctuation, readDottedName, tokenize, type Token } from '../engines/postgres/sql-lexer.js';
import { statementTarget } from '../engines/postgres/statement-target.js';
import { tableOf } from '../engines/postgres/table-name.js';
import type { DumpTable, StatementTables } from './statement-tables.js';

const VIEW_TOKENS = 20_000;

/**
 * A pg_dump statement's tables: the DDL `statementTarget` recognises (the same reading `skip` uses on a
 * script), plus what a restore of part of a dump also needs: INSERTs (a script dumped with --inserts),
 * the sequences a table owns and the `setval` of each, and the relations a view reads.
 */
export function postgresStatementTables(sql: string): StatementTables {
  const target = statementTarget(sql);
  const result: StatementTables = { tables: target.tables, references: target.references, indexes: target.indexes };
  if (target.createsIndex) result.createsIndex = target.createsIndex;
  const tokens = tokenize(sql, 200);
  const first = tokens[0]?.text.toUpperCase();
  if (first === 'CREATE') {
    let at = 1;
    while (['UNLOGGED', 'TEMP', 'TEMPORARY', 'OR', 'REPLACE', 'RECURSIVE', 'MATERIALIZED'].some((k) => isKeyword(tokens[at], k))) at += 1;
    if (isKeyword(tokens[at], 'TABLE') && target.tables[0]) result.creates = target.tables[0];
    if (isKeyword(tokens[at], 'SEQUENCE')) {
      const name = readDottedName(tokens, isKeyword(tokens[at + 1], 'IF') ? at + 4 : at + 1);
      if (name) result.createsSequence = tableOf(name.parts);
    }
    if (isKeyword(tokens[at], 'VIEW')) {
      const name = readDottedName(tokens, at + 1);
      if (name) result.view = { name: tableOf(name.parts), reads: qualifiedNames(tokenize(sql, VIEW_TOKENS), name.next) };
    }
  } else if (first === 'INSERT' && isKeyword(tokens[1], 'INTO')) {
    const name = readDottedName(tokens, 2);
    if (name) result.tables.push(tableOf(name.parts));
  } else if (first === 'ALTER' && isKeyword(tokens[1], 'SEQUENCE') && target.tables[0]) {
    const sequence = readDottedName(tokens, isKeyword(tokens[2], 'IF') ? 4 : 2);
    if (sequence) result.ownsSequence = { sequence: tableOf(sequence.parts), table: target.tables[0] };
  } else if (first === 'ALTER' && isKeyword(tokens[1], 'TABLE') && target.tables[0]) {
    const named = tokens.findIndex((t, i) => isKeyword(t, 'SEQUENCE') && isKeyword(tokens[i + 1], 'NAME'));
    const sequence = named === -1 ? undefined : readDottedName(tokens, named + 2);
    if (sequence) result.ownsSequence = { sequence: tableOf(sequence.parts), table: target.tables[0] };
  } else if (first === 'SELECT') {
    const setval = tokens.findIndex((t, i) => t.text.toLowerCase() === 'setval' && isPunctuation(tokens[i + 1], '('));
    const literal = setval === -1 ? undefined : tokens[setval + 2];
    if (literal?.type === 'string') {
      const name = readDottedName(tokenize(literal.text.slice(1, -1).replaceAll("''", "'")), 0);
      if (name) result.setsSequence = tableOf(name.parts);
    }
  }
  return result;
}

/** Every schema-qualified name after `from` (pg_dump qualifies every relation a view reads). */
function qualifiedNames(tokens: Token[], from: number): DumpTable[] {
  const names: DumpTable[] = [];
  for (let i = from; i < tokens.length; i += 1) {
    const name = readDottedName(tokens, i);
    if (!name) continue;
    if (name.parts.length === 2) names.push(tableOf(name.parts));
    i = name.next - 1;
  }
  return names;
}
