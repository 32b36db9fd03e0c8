import { describe, expect, it } from 'vitest';
import { InsertBatcher } from './insert-batcher.js';
import { liveInsertStatements } from './insert-statements.js';

async function statements(part: Buffer, chunkSize: number) {
  async function* chunks() {
    for (let i = 0; i < part.length; i += chunkSize) yield part.subarray(i, i + chunkSize);
  }
  const found = [];
  for await (const statement of liveInsertStatements(chunks(), 'db.t')) found.push({ text: statement.text.toString('latin1'), line: statement.line });
  return found;
}

describe('liveInsertStatements', () => {
  it("cuts InsertBatcher's statements at `;` and a newline, whatever the chunks, with their first line", async () => {
    const batcher = new InsertBatcher('t', ['a', 'b'], 60);
    const pieces: Buffer[] = [];
    for (const row of ["(1,'x;y')", "(2,'semi;\\ncolon;\\n')", '(3,NULL)', "(4,'(;)')", '(5,0x3b0a)']) {
      pieces.push(...batcher.add(Buffer.from(row, 'latin1')));
    }
    pieces.push(...batcher.finish());
    const part = Buffer.concat(pieces);
    const expected = [
      { text: "INSERT INTO `t` (`a`,`b`) VALUES (1,'x;y')", line: 1 },
      { text: "INSERT INTO `t` (`a`,`b`) VALUES (2,'semi;\\ncolon;\\n')", line: 2 },
      { text: "INSERT INTO `t` (`a`,`b`) VALUES (3,NULL),\n(4,'(;)')", line: 3 },
      { text: 'INSERT INTO `t` (`a`,`b`) VALUES (5,0x3b0a)', line: 5 },
    ];
    for (const size of [1, 2, 3, 7, part.length]) expect(await statements(part, size), `chunks of ${size}`).toEqual(expected);
  });

  it('refuses what InsertBatcher does not write, before sending it', async () => {
    await expect(statements(Buffer.from('INSERT INTO `t` VALUES (1);\nDROP TABLE t;\n'), 5)).rejects.toThrow('db.t, line 2: not an INSERT INTO statement');
    await expect(statements(Buffer.from('INSERT INTO `t` VALUES (1);\nINSERT INTO `t` VALUES (2)'), 5)).rejects.toThrow('db.t, line 2: the part ends inside a statement');
  });
});
