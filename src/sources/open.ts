import type { Readable } from 'node:stream';
import type { Config } from '../config/load.js';
import { ReplibyteError } from '../errors.js';
import { isMongoUri } from '../engines/uri-schemes.js';
import type { DumpSource } from './source.js';

export type SourceType = 'postgresql' | 'mysql' | 'mongodb';

export interface SourceRequest {
  /** `-s`: the kind of script read from `input`. */
  sourceType?: SourceType;
  /** `-i` / `-f`: a dump script instead of a live database. */
  input?: Readable;
  /** `--jobs`: connections reading a live database at once (default: the number of cores). */
  jobs?: number;
  /** `--allow-truncated`: store a script that lacks its dump tool's last line (with a warning). */
  allowTruncated?: boolean;
}

/** The source of a `dump create`: the live database of `source.connection_uri`, or a script. */
export async function openSource(config: Config, request: SourceRequest): Promise<DumpSource> {
  const mongo = request.input ? request.sourceType === 'mongodb' : isMongoUri(config.source?.connection_uri ?? '');
  if (mongo && config.source?.strict) {
    throw new ReplibyteError(
      'strict mode (--strict, source.strict) is not available for MongoDB: documents have no fixed columns, so no list of fields can be complete',
      'transform the paths you know hold personal data; see README "Strict mode"',
    );
  }
  if (request.input) {
    if (config.source?.database_subset) throw new ReplibyteError('source.database_subset needs a live source (connection_uri); it cannot be applied to a script read with -i');
    const { openScriptSource } = await import('./script-sources.js');
    return openScriptSource(request.sourceType ?? 'postgresql', request.input, { allowTruncated: request.allowTruncated ?? false });
  }
  const uri = config.source?.connection_uri;
  if (!uri) throw new ReplibyteError('source.connection_uri is required to dump a live database (or pipe a dump with -s TYPE -i)');
  const { engineForUri } = await import('../engines/index.js');
  return engineForUri(uri, 'source.connection_uri').openSource(uri, { subset: Boolean(config.source?.database_subset), ...(request.jobs && { jobs: request.jobs }) });
}
