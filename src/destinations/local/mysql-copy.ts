import type { Connection, RowDataPacket } from 'mysql2/promise';
import { SESSION_END, SESSION_START } from '../../encode/mysql/session.js';
import { splitMysqlScript } from '../../encode/mysql/statement-splitter.js';
import { ReplibyteError } from '../../errors.js';
import { readMysqlCatalog } from '../../engines/mysql/catalog.js';
import { connectMysql } from '../../engines/mysql/connection.js';
import { quoteMysqlIdentifier, rawSql } from '../../engines/mysql/identifiers.js';
import { postDataScript, preDataScript } from '../../engines/mysql/schema-script.js';

/**
 * A MySQL/MariaDB database copied inside one server (decision 0022): the schema as a MySQL dump writes
 * it (SHOW CREATE read with the template as the current database, so no name is qualified with it),
 * the rows by `INSERT … SELECT` on the server (they never travel to us), then routines, triggers,
 * views and events. On failure the half-made copy is dropped.
 */
export async function copyMysqlDatabase(templateUri: string, targetUri: string, template: string, target: string): Promise<void> {
  const source = await connectMysql(templateUri, 'source');
  let created = false;
  let destination: Connection | undefined;
  try {
    const [[charset]] = (await source.query<RowDataPacket[]>(
      'SELECT DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [template],
    )) as unknown as [[{ charset: string; collation: string } | undefined]];
    if (!charset) throw new ReplibyteError(`the template database ${template} does not exist`);
    await source.query(`CREATE DATABASE ${quoteMysqlIdentifier(target)} CHARACTER SET ${charset.charset} COLLATE ${charset.collation}`);
    created = true;
    destination = await connectMysql(targetUri, 'destination', { binaryQueries: true });
    for (const statement of SESSION_START) await destination.query(statement);
    const catalog = await readMysqlCatalog(source);
    await runScript(destination, preDataScript(source, catalog.tables));
    for (const table of catalog.tables) {
      if (table.kind !== 'table') continue;
      // Generated columns are computed again by the copy; every other column is copied as stored.
      const columns = table.columns.filter((column) => !column.generated).map((column) => quoteMysqlIdentifier(column.name)).join(', ');
      await destination.query(
        `INSERT INTO ${quoteMysqlIdentifier(target)}.${quoteMysqlIdentifier(table.name)} (${columns}) SELECT ${columns} FROM ${quoteMysqlIdentifier(template)}.${quoteMysqlIdentifier(table.name)}`,
      );
    }
    await runScript(destination, postDataScript(source, catalog, { tables: new Set(catalog.tables.map((t) => t.name)) }));
    for (const statement of SESSION_END) await destination.query(statement);
  } catch (error) {
    if (created) await source.query(`DROP DATABASE IF EXISTS ${quoteMysqlIdentifier(target)}`).catch(() => undefined);
    const err = error as Error & { sqlMessage?: string };
    throw error instanceof ReplibyteError ? error : new ReplibyteError(`copying ${template} to ${target} failed: ${err.sqlMessage ?? err.message}`);
  } finally {
    await destination?.end().catch(() => destination?.destroy());
    await source.end().catch(() => source.destroy());
  }
}

async function runScript(connection: Connection, script: AsyncIterable<Buffer>): Promise<void> {
  for await (const statement of splitMysqlScript(script, 'the schema copy')) {
    if (statement.kind === 'statement') await connection.query(rawSql(statement.text));
  }
}
