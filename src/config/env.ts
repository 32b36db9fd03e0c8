import { ReplibyteError } from '../errors.js';

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Replaces `$NAME` and `${NAME}` with the environment's value, anywhere in a string; `$$` is a literal `$`.
 * A `$` that starts no name stays as it is, so `character: '$'` keeps working. A missing variable is an
 * error naming the key path, because an empty password or key would fail much later and more obscurely.
 */
export function substituteEnv(value: string, keyPath: string, env: NodeJS.ProcessEnv): string {
  return value.replace(VARIABLE, (match, braced: string | undefined, bare: string | undefined) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare) as string;
    const resolved = env[name];
    if (resolved === undefined) {
      throw new ReplibyteError(`${keyPath}: environment variable '${name}' is not set`);
    }
    return resolved;
  });
}
