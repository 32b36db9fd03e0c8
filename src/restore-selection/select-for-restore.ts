import type { PartReader } from '../destinations/destination.js';
import type { Manifest, ManifestPart } from '../dump/manifest.js';
import { splitMysqlScript } from '../encode/mysql/statement-splitter.js';
import { readScript } from '../encode/sql-script-reader.js';
import { MYSQL_ENGINES } from '../engines/mysql/identifiers.js';
import { ReplibyteError } from '../errors.js';
import { mysqlStatementTables } from './mysql-statements.js';
import { postgresStatementTables } from './postgres-statements.js';
import { filtersTables, isRestoreEverything, keepsPart, keptTables, tablesWithRows, withParts, type RestoreFilter } from './restore-filter.js';
import { tableKey, tableLabel, type DumpTable, type StatementTables } from './statement-tables.js';

/** The part of a dump a restore restores: the manifest of its parts, and a reader that leaves out the statements of tables left out. */
export interface RestoreSelection {
  manifest: Manifest;
  readPart: PartReader;
  /** What the filter left out that a user should hear about (a view on a left-out table, a foreign key to one). */
  warnings: string[];
}

type Engine = 'postgresql' | 'mysql';

/**
 * Applies `--schema-only`, `--data-only`, `-t` and `--exclude-table` to a dump before it reaches a
 * destination or a script. With a table filter, the dump's schema parts are read once first: every
 * statement is attributed to its table (as `skip` does for a script), the dump's foreign keys are
 * learnt, and a kept table that references a table left out is refused with the whole list, before
 * the destination is touched (docs/decisions/0024-restore-modes.md).
 */
export async function selectForRestore(manifest: Manifest, readPart: PartReader, filter: RestoreFilter): Promise<RestoreSelection> {
  if (isRestoreEverything(filter)) return { manifest, readPart, warnings: [] };
  const engine: Engine | undefined = manifest.engine.kind === 'postgresql' ? 'postgresql' : MYSQL_ENGINES.has(manifest.engine.kind) ? 'mysql' : undefined;
  if (!engine) {
    throw new ReplibyteError(
      `dump ${manifest.name} holds a ${manifest.engine.kind} database: --schema-only, --data-only, -t and --exclude-table are built for PostgreSQL and MySQL/MariaDB dumps only; nothing was changed`,
    );
  }
  if (!filtersTables(filter)) {
    return { manifest: withParts(manifest, manifest.parts.filter((part) => keepsPart(part, filter, undefined))), readPart, warnings: [] };
  }
  const database = manifest.parts.find((part) => part.kind === 'table-data')?.schema ?? manifest.source.database ?? '';
  const sqlParts = manifest.parts.filter((part) => part.kind === 'sql');
  const statements = new Map<ManifestPart, StatementTables[]>();
  for (const part of sqlParts) statements.set(part, await readStatementTables(engine, part, readPart, database));

  const tables = new Map(tablesWithRows(manifest).map((table) => [tableKey(table), table]));
  for (const list of statements.values()) for (const statement of list) if (statement.creates) tables.set(tableKey(statement.creates), statement.creates);
  const kept = keptTables([...tables.values()], filter, manifest.name);
  const leftOut = new Set([...tables.keys()].filter((key) => !kept.has(key)));

  const references = foreignKeysLeftOut(statements, kept, leftOut);
  if (references.length > 0 && filter.foreignKeysCheck) {
    throw new ReplibyteError(
      `tables this restore keeps reference tables it leaves out (foreign keys): ${references.map(([from, to]) => `${tableLabel(from)} → ${tableLabel(to)}`).join(', ')}; nothing was changed`,
      `add the referenced tables (-t), or restore anyway with --no-foreign-keys-check${filter.content === 'data' ? ' (the rows then reference what the destination holds)' : ' (those foreign keys are then left out)'}`,
    );
  }
  const warnings: string[] = [];
  const decisions = decideStatements(engine, sqlParts, statements, leftOut, warnings);
  const parts = manifest.parts.filter((part) => keepsPart(part, filter, kept));
  const filtered: PartReader = (part) => {
    const keep = decisions.get(part);
    if (!keep || keep.every(Boolean)) return readPart(part);
    return engine === 'postgresql' ? keptPostgresStatements(readPart(part), keep) : keptMysqlStatements(readPart(part), keep, part.label);
  };
  return { manifest: withParts(manifest, parts), readPart: filtered, warnings };
}

async function readStatementTables(engine: Engine, part: ManifestPart, readPart: PartReader, database: string): Promise<StatementTables[]> {
  const list: StatementTables[] = [];
  if (engine === 'postgresql') {
    for await (const event of readScript(readPart(part))) if (event.kind === 'statement') list.push(postgresStatementTables(event.sql));
  } else {
    for await (const statement of splitMysqlScript(readPart(part), part.label)) {
      if (statement.kind === 'statement') list.push(mysqlStatementTables(statement.text.toString('utf8'), database));
    }
  }
  return list;
}

/** Every foreign key from a kept table to a table left out, once each. */
function foreignKeysLeftOut(statements: Map<ManifestPart, StatementTables[]>, kept: Set<string>, leftOut: Set<string>): Array<[DumpTable, DumpTable]> {
  const found = new Map<string, [DumpTable, DumpTable]>();
  for (const list of statements.values()) {
    for (const statement of list) {
      const owner = statement.tables[0];
      if (!owner || !kept.has(tableKey(owner))) continue;
      for (const referenced of statement.references) {
        if (leftOut.has(tableKey(referenced))) found.set(`${tableKey(owner)}→${tableKey(referenced)}`, [owner, referenced]);
      }
    }
  }
  return [...found.values()];
}

/**
 * Which statements of each schema part stay, in the dump's order: those of tables left out go, with the
 * indexes they create, the `setval` of the sequences they own, the views that read them (and the views
 * on those), and, on PostgreSQL, the foreign keys that reference them (MySQL declares a foreign key
 * inside CREATE TABLE, and accepts one to a missing table while FOREIGN_KEY_CHECKS is off).
 */
function decideStatements(engine: Engine, parts: ManifestPart[], statements: Map<ManifestPart, StatementTables[]>, leftOut: Set<string>, warnings: string[]): Map<ManifestPart, boolean[]> {
  const gone = new Set(leftOut);
  const droppedIndexes = new Set<string>();
  // Owners first: pg_dump writes a sequence's OWNED BY after its CREATE SEQUENCE.
  const sequenceOwner = new Map<string, string>();
  for (const part of parts) {
    for (const statement of statements.get(part)!) {
      if (statement.ownsSequence) sequenceOwner.set(tableKey(statement.ownsSequence.sequence), tableKey(statement.ownsSequence.table));
    }
  }
  const ownerGone = (sequence: DumpTable | undefined) => sequence !== undefined && gone.has(sequenceOwner.get(tableKey(sequence)) ?? '');
  const decisions = new Map<ManifestPart, boolean[]>();
  for (const part of parts) {
    decisions.set(
      part,
      statements.get(part)!.map((statement) => {
        if (ownerGone(statement.createsSequence) || ownerGone(statement.setsSequence)) return false;
        if (statement.view) {
          const read = statement.view.reads.find((table) => gone.has(tableKey(table)));
          if (read) {
            gone.add(tableKey(statement.view.name));
            warnings.push(`view ${tableLabel(statement.view.name)} left out: it reads ${tableLabel(read)}, which this restore leaves out`);
            return false;
          }
        }
        if (statement.createsIndex && statement.tables.some((table) => gone.has(tableKey(table)))) droppedIndexes.add(tableKey(statement.createsIndex));
        if (statement.tables.some((table) => gone.has(tableKey(table)))) return false;
        if (statement.indexes.some((index) => droppedIndexes.has(tableKey(index)))) return false;
        const referenced = statement.references.find((table) => gone.has(tableKey(table)));
        if (referenced && statement.tables[0]) {
          warnings.push(`foreign key of ${tableLabel(statement.tables[0])} to ${tableLabel(referenced)} left out (--no-foreign-keys-check)`);
          return engine === 'mysql';
        }
        return true;
      }),
    );
  }
  return decisions;
}

async function* keptPostgresStatements(script: AsyncIterable<Buffer>, keep: boolean[]): AsyncGenerator<Buffer> {
  let index = 0;
  for await (const event of readScript(script)) {
    if (event.kind === 'statement') {
      if (keep[index++]) yield Buffer.from(`${event.sql}${event.sql.trimEnd().endsWith(';') ? '' : ';'}\n`, 'utf8');
    } else if (event.kind === 'meta') yield Buffer.from(`${event.line}\n`, 'utf8');
    else if (event.kind === 'copy-start') yield Buffer.from(`${event.sql}\n`, 'utf8');
    else if (event.kind === 'copy-data') yield Buffer.from(event.data, 'utf8');
    else yield Buffer.from('\\.\n');
  }
}

async function* keptMysqlStatements(script: AsyncIterable<Buffer>, keep: boolean[], label: string): AsyncGenerator<Buffer> {
  let index = 0;
  for await (const statement of splitMysqlScript(script, label)) {
    if (statement.kind !== 'statement' || keep[index++]) yield statement.raw;
  }
}
