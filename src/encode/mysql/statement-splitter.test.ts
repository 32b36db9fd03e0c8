import { describe, expect, it, vi } from 'vitest';
import { splitMysqlScript } from './statement-splitter.js';

async function split(script: string, chunkSize = 3) {
  const bytes = Buffer.from(script, 'utf8');
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
  }
  const events = [];
  for await (const event of splitMysqlScript(chunks())) events.push(event);
  return events;
}

describe('splitMysqlScript', () => {
  it('splits on ; outside strings, identifiers and comments, and keeps every byte', async () => {
    const script = "SET a=1;\nINSERT INTO `x;y` VALUES ('a;b\\';c', \"d;\"\"e\"), ('it''s;');\n-- c;omment\n# other; comment\n/* block; */ SELECT 1;\n/*!40101 SET x=1 */;\nSELECT 'tail'";
    const events = await split(script);
    expect(events.filter((e) => e.kind === 'statement').map((e) => e.text.toString().trim())).toEqual([
      'SET a=1',
      "INSERT INTO `x;y` VALUES ('a;b\\';c', \"d;\"\"e\"), ('it''s;')",
      '-- c;omment\n# other; comment\n/* block; */ SELECT 1',
      '/*!40101 SET x=1 */',
      "SELECT 'tail'",
    ]);
    expect(Buffer.concat(events.map((e) => e.raw)).toString()).toBe(script);
  });

  it('follows DELIMITER for routine bodies', async () => {
    const script = 'DELIMITER ;;\nCREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.b = 2; END;;\nDELIMITER ;\nSELECT 1;\n';
    const events = await split(script, 5);
    expect(events.map((e) => e.kind)).toEqual(['delimiter', 'statement', 'delimiter', 'statement', 'trailer']);
    expect(events[1]!.text.toString().trim()).toBe('CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.b = 2; END');
    expect(Buffer.concat(events.map((e) => e.raw)).toString()).toBe(script);
  });

  it('refuses a script that ends inside a string, naming the line', async () => {
    await expect(split("SELECT 1;\nINSERT INTO t VALUES ('unterminated);\n")).rejects.toThrow(/ends inside a 'string' opened on line 2/);
  });

  it('refuses binary input', async () => {
    await expect(split('\x1f\x8b\x08\x00\x00binary')).rejects.toThrow(/not a SQL script/);
  });

  it('joins a 4 MB statement on one line once: its text is a view of the line, its raw bytes only joined if read', async () => {
    const statement = `INSERT INTO \`t\` VALUES (1,'${'x'.repeat(4 << 20)}')`;
    const bytes = Buffer.from(`SET a=1;\n${statement};\nSELECT 2;\n`);
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 256 * 1024) yield bytes.subarray(i, i + 256 * 1024);
    }
    let joined = 0;
    const concat = Buffer.concat.bind(Buffer);
    const spy = vi.spyOn(Buffer, 'concat').mockImplementation((list, length) => {
      const out = concat(list, length);
      joined += out.length;
      return out;
    });
    try {
      const texts: Buffer[] = [];
      for await (const event of splitMysqlScript(chunks())) if (event.kind === 'statement') texts.push(event.text);
      expect(texts[1]!.toString()).toBe(statement);
      // The line, joined from its 17 pieces; before, the statement was copied twice more (text, raw).
      expect(joined).toBeLessThan(1.1 * statement.length);
    } finally {
      spy.mockRestore();
    }
  });
});
