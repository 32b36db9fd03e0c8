import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StatementSpool } from './statement-spool.js';

describe('StatementSpool', () => {
  it('replays every statement in order, from memory then from its file, and removes the file', async () => {
    const spool = new StatementSpool(100);
    const pushed = Array.from({ length: 50 }, (_, i) => Buffer.from(`INSERT IGNORE INTO t (k0) VALUES (${i}),('${'x'.repeat(i)}')`));
    for (const statement of pushed) await spool.push(statement);
    expect(spool.spilled).toBe(true);
    const file = (spool as unknown as { file: { dir: string } }).file.dir;
    expect(existsSync(file)).toBe(true);
    const replayed: Buffer[] = [];
    for await (const statement of spool.statements()) replayed.push(statement);
    expect(replayed.map(String)).toEqual(pushed.map(String));
    await spool.dispose();
    expect(existsSync(file)).toBe(false);
  });

  it('keeps a small step in memory', async () => {
    const spool = new StatementSpool();
    await spool.push(Buffer.from('INSERT IGNORE INTO t (k0) VALUES (1)'));
    expect(spool.spilled).toBe(false);
    const replayed: string[] = [];
    for await (const statement of spool.statements()) replayed.push(String(statement));
    expect(replayed).toEqual(['INSERT IGNORE INTO t (k0) VALUES (1)']);
    await spool.dispose();
  });
});
