import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { ALL_ROWS, ResidualScanner } from './residual-scan.js';

async function drain(pieces: AsyncIterable<Buffer>): Promise<number> {
  let bytes = 0;
  for await (const piece of pieces) bytes += piece.length;
  return bytes;
}

/** Pieces cut at every `size` bytes, as a datastore hands them on. */
async function* cut(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('ResidualScanner', () => {
  it('hands every byte on and finds an email in a BSON part cut anywhere, by its dotted path', async () => {
    const documents = Buffer.concat([
      BSON.serialize({ _id: 1, name: 'plain', profile: { contact: 'mail me at ann@victim.example' } }),
      BSON.serialize({ _id: 2, name: 'plain', profile: { contact: 'nothing here' } }),
    ]);
    const scanner = new ResidualScanner(ALL_ROWS, () => false);
    expect(await drain(scanner.tap({ schema: 'app', table: 'users', encoding: 'bson-documents' }, cut(documents, 7)))).toBe(documents.length);
    const report = scanner.report('all');
    expect(report.rowsScanned).toBe(2);
    expect(report.findings).toEqual([{ schema: 'app', table: 'users', column: 'profile.contact', detector: 'email-in-text', values: 1, scanned: 2 }]);
  });

  it('reads MySQL INSERT parts with their quoting, and leaves transformed columns out', async () => {
    const script = Buffer.from("INSERT INTO `t` VALUES (1,'O\\'Connell','x@victim.example'),\n(2,'bob@victim.example','y@victim.example');\n");
    const scanner = new ResidualScanner(ALL_ROWS, (_schema, _table, column) => column === 'email');
    await drain(scanner.tap({ schema: 'app', table: 't', columns: ['id', 'note', 'email'], encoding: 'mysql-sql' }, cut(script, 5)));
    expect(scanner.report('all').findings).toEqual([{ schema: 'app', table: 't', column: 'note', detector: 'email', values: 1, scanned: 2 }]);
  });

  it('a malformed part fails at its end instead of holding the reader back', async () => {
    const scanner = new ResidualScanner(ALL_ROWS, () => false);
    const broken = Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]);
    await expect(drain(scanner.tap({ schema: 'app', table: 'users', encoding: 'bson-documents' }, cut(broken, 3)))).rejects.toThrow();
  });
});
