import type { PartReader } from '../destinations/destination.js';
import type { Manifest, ManifestPart } from '../dump/manifest.js';
import { databaseScope, statementExcerpt, type ScopeFinding } from '../encode/mysql/database-scope.js';
import { splitMysqlScript } from '../encode/mysql/statement-splitter.js';
import { readScript } from '../encode/sql-script-reader.js';
import { ReplibyteError } from '../errors.js';
import { MYSQL_ENGINES } from '../engines/mysql/identifiers.js';
import { connectTarget, pgDatabaseScope } from '../sources/pg-script/database-scope.js';

/**
 * Reads the statements of a script dump once more before a restore touches anything: `dump create`
 * leaves out (or refuses) what reaches outside the destination database, but a dump made by an
 * older replibyte may hold `DROP DATABASE app`, `ALTER DATABASE app …`, `other_db.t`. Only the `sql`
 * parts are read (the rows of table parts are regrouped INSERTs into unqualified names); on
 * PostgreSQL, runs of INSERT statements are not either (an INSERT cannot reach another database).
 */
export async function refuseStatementsOutsideDestination(manifest: Manifest, readPart: PartReader): Promise<void> {
  if (manifest.source.kind !== 'script') return;
  const mysql = MYSQL_ENGINES.has(manifest.engine.kind);
  if (!mysql && manifest.engine.kind !== 'postgresql') return;
  for (const part of manifest.parts) {
    if (part.kind !== 'sql' || (!mysql && part.label.endsWith('(INSERT statements)'))) continue;
    const found = mysql ? await firstMysqlFinding(part, readPart) : await firstPostgresFinding(part, readPart);
    if (found) {
      throw new ReplibyteError(
        `dump ${manifest.name}, ${part.label}, line ${found.line}: \`${found.excerpt}\` ${found.scope.what}: it reaches outside the destination database, so the restore is refused; nothing was touched`,
        'the dump was made by an older replibyte: create it again from the script (dump create now leaves such statements out or refuses them)',
      );
    }
  }
}

interface Found {
  line: number;
  excerpt: string;
  scope: ScopeFinding;
}

async function firstMysqlFinding(part: ManifestPart, readPart: PartReader): Promise<Found | undefined> {
  for await (const statement of splitMysqlScript(readPart(part), part.label)) {
    if (statement.kind !== 'statement') continue;
    const sql = statement.text.toString('utf8');
    const scope = databaseScope(sql);
    if (scope) return { line: statement.line, excerpt: statementExcerpt(sql), scope };
  }
  return undefined;
}

async function firstPostgresFinding(part: ManifestPart, readPart: PartReader): Promise<Found | undefined> {
  for await (const event of readScript(readPart(part))) {
    if (event.kind === 'meta') {
      const database = connectTarget(event.line);
      if (database !== undefined) return { line: event.lineNumber ?? 0, excerpt: event.line.trim(), scope: { action: 'refuse', what: `connects to the database ${database}` } };
    } else if (event.kind === 'statement') {
      const scope = pgDatabaseScope(event.sql);
      if (scope) return { line: event.lineNumber ?? 0, excerpt: statementExcerpt(event.sql), scope };
    }
  }
  return undefined;
}
