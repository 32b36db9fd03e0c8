import { describe, expect, it } from 'vitest';
import { parseInsertHeader, rowTuples } from './insert-statement.js';
import { decodeLiteral } from './sql-literal.js';

describe('INSERT statements of a dump script', () => {
  it('reads mysqldump extended inserts: escapes, binary literals, _binary, NULLs, byte spans', () => {
    const sql = Buffer.from("-- Dumping data\nINSERT INTO `t``x` VALUES (1,'a\\'b,c)',NULL,0x00FF,_binary 'q\\0',b'101',-1.5e3),( 2 , 'it''s' , '' , X'41', 'é😀', 0b11, .5)");
    const header = parseInsertHeader(sql)!;
    expect(header).toMatchObject({ verb: 'INSERT', table: 't`x', columns: undefined });
    const rows = [...rowTuples(sql, header.valuesOffset)];
    expect(rows).toHaveLength(2);
    const values = rows.map((row) => row.spans.map(([s, e]) => row.bytes.subarray(s, e).toString('utf8')));
    expect(values[0]).toEqual(['1', "'a\\'b,c)'", 'NULL', '0x00FF', "_binary 'q\\0'", "b'101'", '-1.5e3']);
    expect(values[1]).toEqual(['2', "'it''s'", "''", "X'41'", "'é😀'", '0b11', '.5']);
    const decoded = rows[0]!.spans.map(([s, e]) => decodeLiteral(rows[0]!.bytes.subarray(s, e)));
    expect(decoded.map((d) => (d === null ? null : d?.toString('hex')))).toEqual([
      Buffer.from('1').toString('hex'), Buffer.from("a'b,c)").toString('hex'), null, '00ff', '7100', '05', Buffer.from('-1.5e3').toString('hex'),
    ]);
    expect(decodeLiteral(Buffer.from("'it''s'"))!.toString()).toBe("it's");
  });

  it('reads column lists, REPLACE and INSERT IGNORE, and refuses what it cannot read', () => {
    expect(parseInsertHeader(Buffer.from('INSERT IGNORE INTO db.`t` (`a`, b) VALUES (1,2)'))).toMatchObject({ verb: 'INSERT IGNORE', table: 't', columns: ['a', 'b'] });
    expect(parseInsertHeader(Buffer.from('REPLACE INTO t VALUES (1)'))).toMatchObject({ verb: 'REPLACE', table: 't' });
    expect(parseInsertHeader(Buffer.from('CREATE TABLE t (a int)'))).toBeUndefined();
    const bad = Buffer.from("INSERT INTO t VALUES (1,'x') garbage");
    expect(() => [...rowTuples(bad, parseInsertHeader(bad)!.valuesOffset)]).toThrow(/after row 1: unexpected "garbage"/);
    const cut = Buffer.from("INSERT INTO t VALUES (1,'x");
    expect(() => [...rowTuples(cut, parseInsertHeader(cut)!.valuesOffset)]).toThrow(/row 1/);
  });

  it('keeps one line per row when a hand-written script has raw newlines', () => {
    const sql = Buffer.from("INSERT INTO t VALUES (1,\n'two\nlines')");
    const [row] = [...rowTuples(sql, parseInsertHeader(sql)!.valuesOffset)];
    expect(row!.bytes.toString()).toBe("(1, 'two\\nlines')");
    expect(row!.spans.map(([s, e]) => row!.bytes.subarray(s, e).toString())).toEqual(['1', "'two\\nlines'"]);
  });
});
