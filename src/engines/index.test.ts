import { describe, expect, it } from 'vitest';
import { ENGINES, engineForDump, engineForUri, engineNamed } from './index.js';

const manifestOf = (kind: string) => ({ name: 'd1', engine: { kind } }) as Parameters<typeof engineForDump>[0];

describe('the engine table', () => {
  it('recognises each engine by its URI schemes, and one engine only', () => {
    const cases: Array<[string, string]> = [
      ['postgres://u@127.0.0.1/db', 'postgresql'],
      ['postgresql://u@127.0.0.1/db', 'postgresql'],
      ['mysql://root@127.0.0.1:3306/db', 'mysql'],
      ['mariadb://root@127.0.0.1:3306/db', 'mysql'],
      ['mongodb://127.0.0.1:27017/db', 'mongodb'],
      ['mongodb+srv://cluster.example/db', 'mongodb'],
    ];
    for (const [uri, name] of cases) {
      expect(engineForUri(uri, 'source.connection_uri').name).toBe(name);
      expect(ENGINES.filter((engine) => engine.recognisesUri(uri))).toHaveLength(1);
    }
  });

  it('names the key and the scheme of a URI no engine speaks, and never prints the rest of it', () => {
    expect(() => engineForUri('oracle://scott:tiger@127.0.0.1/orcl', 'destination.connection_uri')).toThrow(
      /^destination\.connection_uri: oracle:\/\/ is not a database this build supports/,
    );
    expect(() => engineForUri('oracle://scott:tiger@127.0.0.1/orcl', 'x')).not.toThrow(/tiger/);
  });

  it('finds the engine a dump was made from: MariaDB and MySQL dumps are one engine', () => {
    expect(engineForDump(manifestOf('mariadb')).name).toBe('mysql');
    expect(engineForDump(manifestOf('mysql')).name).toBe('mysql');
    expect(engineForDump(manifestOf('postgresql')).name).toBe('postgresql');
    expect(engineForDump(manifestOf('mongodb')).name).toBe('mongodb');
    expect(() => engineForDump(manifestOf('sqlite'))).toThrow(/dump d1 holds a sqlite database/);
  });

  it('gives -s its script readers, and refuses a type it does not know', () => {
    expect(ENGINES.map((engine) => engine.name)).toEqual(['postgresql', 'mysql', 'mongodb']);
    expect(engineNamed('mysql').label).toBe('MySQL/MariaDB');
    expect(() => engineNamed('oracle')).toThrow(/unknown database type oracle: use postgresql, mysql, mongodb/);
  });
});
