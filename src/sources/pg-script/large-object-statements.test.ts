import { describe, expect, it } from 'vitest';
import { readLargeObjectStatement } from './large-object-statements.js';

describe('large-object statements of a pg_dump script', () => {
  it('reads what pg_dump writes, comments before it included', () => {
    expect(readLargeObjectStatement("--\n-- Name: 16403; Type: BLOB\n--\n\nSELECT pg_catalog.lo_create('16403');")).toEqual({ kind: 'create', oid: 16403 });
    expect(readLargeObjectStatement('ALTER LARGE OBJECT 16403 OWNER TO "Odd ""Role""";')).toEqual({ kind: 'owner', oid: 16403, role: 'Odd "Role"' });
    expect(readLargeObjectStatement('ALTER LARGE OBJECT 16403 OWNER TO alice;')).toEqual({ kind: 'owner', oid: 16403, role: 'alice' });
    expect(readLargeObjectStatement("COMMENT ON LARGE OBJECT 16405 IS 'it''s a scan';")).toEqual({ kind: 'comment', oid: 16405, text: "it's a scan" });
    expect(readLargeObjectStatement("COMMENT ON LARGE OBJECT 16405 IS E'back\\\\slash';")).toEqual({ kind: 'comment', oid: 16405, text: 'back\\slash' });
    expect(readLargeObjectStatement('GRANT SELECT ON LARGE OBJECT 16405 TO reader;')).toEqual({ kind: 'privileges', oid: 16405 });
    expect(readLargeObjectStatement('REVOKE ALL ON LARGE OBJECT 16405 FROM alice;')).toEqual({ kind: 'privileges', oid: 16405 });
    expect(readLargeObjectStatement("SELECT pg_catalog.lo_open('16405', 131072);")).toEqual({ kind: 'open', oid: 16405 });
    expect(readLargeObjectStatement("SELECT pg_catalog.lowrite(0, '\\x00ff41');")).toEqual({ kind: 'write', bytes: Buffer.from([0, 255, 65]) });
    expect(readLargeObjectStatement("SELECT pg_catalog.lowrite(0, E'\\\\x00ff41');")).toEqual({ kind: 'write', bytes: Buffer.from([0, 255, 65]) });
    expect(readLargeObjectStatement('SELECT pg_catalog.lo_close(0);')).toEqual({ kind: 'close' });
    expect(readLargeObjectStatement('\nBEGIN;')).toEqual({ kind: 'begin' });
    expect(readLargeObjectStatement('COMMIT;')).toEqual({ kind: 'commit' });
  });

  it('leaves every other statement alone', () => {
    for (const sql of ['SELECT 1;', 'GRANT SELECT ON TABLE t TO reader;', "SELECT pg_catalog.setval('s', 1, true);", 'CREATE TABLE lo (id int);']) {
      expect(readLargeObjectStatement(sql)).toBeUndefined();
    }
  });
});
