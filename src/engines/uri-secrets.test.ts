import { readFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { libpqConnection } from './postgres/connection.js';
import { redactSecrets, redactUri } from './uri-schemes.js';

describe('redactUri: every credential form masked, the rest as written', () => {
  it.each([
    ['postgres://app:S3cr%2Ft@db:5432/prod?sslmode=require', 'postgres://app:***@db:5432/prod?sslmode=require'],
    ['postgres://app@db/prod?password=S3cret&application_name=x', 'postgres://app@db/prod?password=***&application_name=x'],
    ['postgresql://app@h1:5432,h2:5433/prod?SSLPassword=S3cret&target_session_attrs=read-write', 'postgresql://app@h1:5432,h2:5433/prod?SSLPassword=***&target_session_attrs=read-write'],
    ['postgres://app:pa/ss@word@db/prod', 'postgres://app:***@db/prod'],
    ['postgres://%2Fvar%2Frun%2Fpostgresql/prod?options=-c%20x%3D1', 'postgres://%2Fvar%2Frun%2Fpostgresql/prod?options=-c%20x%3D1'],
    ['mysql://root:S3cret@127.0.0.1:3306/app?pwd=S3cret', 'mysql://root:***@127.0.0.1:3306/app?pwd=***'],
    ['mongodb+srv://u:S3cret@cluster0.example.net/app?authMechanismProperties=AWS_SESSION_TOKEN:S3cret', 'mongodb+srv://u:***@cluster0.example.net/app?authMechanismProperties=***'],
    ['https://minio.local:9000/?X-Amz-Security-Token=S3cret#x', 'https://minio.local:9000/?X-Amz-Security-Token=***#x'],
    ["host=db user=app password='S3 cret' dbname=prod", 'host=db user=app password=*** dbname=prod'],
  ])('%s', (uri, masked) => {
    expect(redactUri(uri)).toBe(masked);
  });

  it('masks every URI quoted in free text, keeping the punctuation after it', () => {
    expect(redactSecrets('cannot connect to the source postgres://a:S3cret@h:1/db?password=S3cret: refused (mongodb://u:S3cret@m/x).')).toBe(
      'cannot connect to the source postgres://a:***@h:1/db?password=***: refused (mongodb://u:***@m/x).',
    );
  });
});

describe('libpqConnection: what pg_dump may show, and what travels beside it', () => {
  it('takes the password out of the user info and the query, keeping the rest as written', async () => {
    const connection = await libpqConnection('postgres://app:fromuserinfo@h1:5432,h2:5433/prod?password=fromquery&options=-c%20x%3D1');
    expect(connection.dbnameArg).toBe('postgres://app@h1:5432,h2:5433/prod?options=-c%20x%3D1');
    expect(connection.env).toEqual({ PGPASSWORD: 'fromquery' });
    await connection.cleanup();
  });

  it('puts an sslpassword in a 0600 service file the URI names, removed by cleanup', async () => {
    const connection = await libpqConnection('postgresql://app@db/prod?sslpassword=k%20ey&sslkey=/keys/app.key');
    expect(connection.dbnameArg).toBe('postgresql://app@db/prod?sslkey=/keys/app.key&service=replibyte');
    const file = connection.env.PGSERVICEFILE!;
    expect(await readFile(file, 'utf8')).toBe('[replibyte]\nsslpassword=k ey\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await connection.cleanup();
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('refuses an sslpassword next to a service of the user’s own', async () => {
    await expect(libpqConnection('postgres://db/prod?service=mine&sslpassword=x')).rejects.toThrow(/service= and sslpassword=/);
  });
});
