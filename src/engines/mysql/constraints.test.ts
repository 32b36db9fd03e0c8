import { describe, expect, it } from 'vitest';
import { parseCreateTable } from '../../sources/mysql-script/create-table.js';
import { mysqlColumnInfo } from './column-types.js';
import { columnChecks, identifiersIn, lengthBounds, uniqueColumns } from './constraints.js';

const columns = [
  { table: 'users', name: 'id' },
  { table: 'users', name: 'email' },
  { table: 'users', name: 'handle' },
  { table: 'users', name: 'note' },
  { table: 'users', name: 'lc', generated: 'lcase(`handle`)' },
];

describe('MySQL unique constraints from STATISTICS rows', () => {
  it('sees the columns a MySQL 8 functional key part reads (COLUMN_NAME is NULL, EXPRESSION names them)', () => {
    const unique = uniqueColumns([{ table: 'users', column: null, subPart: null, expression: 'lower(`email`)' }], columns);
    expect([...unique.keys()]).toEqual(['users\0email']);
  });

  it('keeps the shortest prefix a column is unique within, and full uniqueness does not lift it', () => {
    const unique = uniqueColumns(
      [
        { table: 'users', column: 'email', subPart: 20 },
        { table: 'users', column: 'email', subPart: null },
        { table: 'users', column: 'email', subPart: 12 },
        { table: 'users', column: 'id', subPart: null },
      ],
      columns,
    );
    expect(unique.get('users\0email')).toEqual({ prefix: 12 });
    expect(unique.get('users\0id')).toEqual({});
  });

  it('sees the columns a unique generated column is computed from (MariaDB\'s functional index)', () => {
    const unique = uniqueColumns([{ table: 'users', column: 'lc' }], columns);
    expect([...unique.keys()].sort()).toEqual(['users\0handle', 'users\0lc']);
  });

  it('reads identifiers, not the text of string literals', () => {
    expect(identifiersIn("concat(`a``b`, '`x`', _utf8mb4'it''s `y`', \"`z`\", `c`)")).toEqual(['a`b', 'c']);
  });
});

describe('MySQL CHECKs from CHECK_CONSTRAINTS rows', () => {
  it('keeps the CHECKs that read one column alone', () => {
    const checks = columnChecks(
      [
        { table: 'users', clause: 'char_length(`email`) <= 40' },
        { table: 'users', clause: '(`note` <> _utf8mb4\'`email`\')' },
        { table: 'users', clause: '`id` < `handle`' },
      ],
      columns,
    );
    expect(Object.fromEntries(checks)).toEqual({ 'users\0email': ['char_length(`email`) <= 40'], 'users\0note': ["(`note` <> _utf8mb4'`email`')"] });
  });

  it('reads length bounds in characters (char_length) and bytes (length, octet_length), as MariaDB and MySQL 8 print them', () => {
    expect(lengthBounds(['char_length(`code`) <= 10'], 'code')).toEqual({ characters: 10 });
    expect(lengthBounds(['(char_length(`code`) < 11)', 'octet_length(`code`) < 8', '(length(`code`) <= 9)'], 'code')).toEqual({ characters: 10, bytes: 7 });
    expect(lengthBounds(['char_length(`other`) < 3', '`code` <> \'x\''], 'code')).toEqual({});
  });

  it('narrows maxLength and sets maxBytes on the column', () => {
    const column = mysqlColumnInfo('db', 't', 'code', 'varchar(30)', { checks: ['char_length(`code`) <= 10', 'octet_length(`code`) < 25'] });
    expect(column).toMatchObject({ maxLength: 10, maxBytes: 24, checks: ['char_length(`code`) <= 10', 'octet_length(`code`) < 25'] });
    expect(mysqlColumnInfo('db', 't', 'code', 'text', { checks: ['octet_length(`code`) < 8'] })).toMatchObject({ maxLength: 7, maxBytes: 7 });
  });
});

describe('a script\'s CREATE TABLE (mysqldump / mariadb-dump)', () => {
  it('reads prefix and functional unique keys, generated unique columns and CHECKs', () => {
    const table = parseCreateTable(
      `CREATE TABLE \`c\` (
  \`id\` int(11) NOT NULL,
  \`code\` varchar(30) DEFAULT NULL CHECK (char_length(\`code\`) <= 10),
  \`b\` varchar(20) DEFAULT NULL,
  \`e\` varchar(40) DEFAULT NULL,
  \`n\` int(11) DEFAULT NULL CHECK (\`n\` >= 0),
  \`lc\` varchar(30) GENERATED ALWAYS AS (lcase(\`code\`)) VIRTUAL,
  \`doc\` longtext DEFAULT NULL CHECK (json_valid(\`doc\`)),
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`lc\` (\`lc\`),
  UNIQUE KEY \`b\` (\`b\`(5)),
  UNIQUE KEY \`e_lower\` ((lower(\`e\`))),
  CONSTRAINT \`bl\` CHECK (octet_length(\`b\`) < 8),
  CONSTRAINT \`two\` CHECK (\`n\` < \`id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      'db',
    )!;
    const byName = Object.fromEntries(table.columns.map((c) => [c.name, c]));
    expect(byName.code).toMatchObject({ unique: true, maxLength: 10, checks: ['char_length(`code`) <= 10'] });
    expect(byName.b).toMatchObject({ unique: true, uniquePrefix: 5, maxLength: 7, maxBytes: 7 });
    expect(byName.e).toMatchObject({ unique: true });
    expect(byName.e!.uniquePrefix).toBeUndefined();
    expect(byName.n).toMatchObject({ checks: ['`n` >= 0'] });
    expect(byName.n!.unique).toBeUndefined();
    expect(byName.doc).toMatchObject({ baseType: 'json' });
    expect(byName.lc).toMatchObject({ generated: true });
  });
});
