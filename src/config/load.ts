import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { z, type core } from 'zod';
import { errorMessage, ReplibyteError } from '../errors.js';
import { DamagedObjectError, MIB, readSmallFile } from '../small-object.js';
import { didYouMean } from './did-you-mean.js';
import { substituteEnv } from './env.js';
import { configSchema, type RawConfig } from './schema.js';

export type CompressionCodec = 'zstd' | 'gzip' | 'none';

/** The validated configuration, with defaults applied and environment variables substituted. */
export interface Config extends RawConfig {
  /** Where the config came from, for messages ("conf.yaml:12:5"). */
  readonly origin: string;
  /** Where each key path sits in the YAML ("source.transformers[0].table" → line/column). */
  readonly locate: (keyPath: readonly PropertyKey[]) => { line: number; column: number } | undefined;
}

export interface ConfigProblem {
  keyPath: string;
  message: string;
  line?: number;
  column?: number;
}

export class ConfigError extends ReplibyteError {
  constructor(
    readonly origin: string,
    readonly problems: ConfigProblem[],
  ) {
    super(problems.map((p) => formatProblem(origin, p)).join('\n'));
    this.name = 'ConfigError';
  }
}

/** `conf.yaml:12:5: source.transformers[0].table: no table …`; `conf.yaml:3:7: invalid YAML: …` */
export function formatProblem(origin: string, problem: ConfigProblem): string {
  const where = problem.line === undefined ? origin : `${origin}:${problem.line}:${problem.column}`;
  return `${where}: ${problem.keyPath ? `${problem.keyPath}: ` : ''}${problem.message}`;
}

export function formatKeyPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  return parseConfig(await readConfigText(path), path, env);
}

/** A config is far smaller than this; a larger file is not one (`-c /dev/urandom`, a dump given by mistake). */
export const CONFIG_MAX_BYTES = 4 * MIB;

/**
 * The text of a config file: a regular file of at most CONFIG_MAX_BYTES of UTF-8 text. A directory, a
 * FIFO, a device, a huge or binary file is one clear error, before more than the limit is read.
 */
export async function readConfigText(path: string): Promise<string> {
  const label = `config file ${path}`;
  let bytes: Buffer | undefined;
  try {
    bytes = await readSmallFile(path, CONFIG_MAX_BYTES, label);
  } catch (error) {
    if (error instanceof ReplibyteError) throw error;
    throw new ReplibyteError(`cannot read ${label}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`);
  }
  if (!bytes) throw new ReplibyteError(`${label} does not exist`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DamagedObjectError(label, 'not UTF-8 text (a binary file?)');
  }
  if (text.includes('\0')) throw new DamagedObjectError(label, 'not text: it holds NUL bytes (a binary file?)');
  return text;
}

export function parseConfig(text: string, origin: string, env: NodeJS.ProcessEnv = process.env): Config {
  const { config, problems } = analyzeConfig(text, origin, env);
  if (problems.length > 0 || !config) throw new ConfigError(origin, problems);
  return config;
}

/**
 * Every problem of a config text at once, and the config itself when it can still be read: `config check`
 * goes on to check a config with a misspelt key against the live source (the key is left out), so that
 * one run reports every mistake. `parseConfig` accepts a config only without problems.
 */
export function analyzeConfig(text: string, origin: string, env: NodeJS.ProcessEnv = process.env): { config?: Config; problems: ConfigProblem[] } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      problems: document.errors.map((error) => {
        // error.linePos is only filled in with prettyErrors, which also rewrites the message: the offset is enough.
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { keyPath: '', message: `invalid YAML: ${error.message.split('\n')[0]}`, line, column: col };
      }),
    };
  }
  const locate = (keyPath: readonly PropertyKey[]) => locateNode(document, lineCounter, keyPath);
  const raw: unknown = document.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { problems: [{ keyPath: '', message: 'the config must be a YAML mapping with at least `datastore`' }] };
  }
  try {
    rejectLegacyShapes(raw as Record<string, unknown>, origin);
  } catch (error) {
    return { problems: (error as ConfigError).problems };
  }

  const problems: ConfigProblem[] = [];
  const substituted = substituteAll(raw, [], env, problems, locate);
  let parsed = configSchema.safeParse(substituted);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.flatMap((issue) => describeIssue(issue, locate)));
    // Without its unknown keys, the rest of the config may still be readable (for `config check` only).
    // A misspelt `transformer_name` leaves it missing: a placeholder that fits any column lets the
    // entry's table and column still be checked; so does a placeholder for a keep entry's missing reason.
    const keepReason = (issue: core.$ZodIssue) => issue.path[1] === 'keep' && issue.path[issue.path.length - 1] === 'reason';
    const salvageable = (issue: core.$ZodIssue) =>
      issue.code === 'unrecognized_keys' || (issue.code === 'invalid_type' && issue.path[issue.path.length - 1] === 'transformer_name') || keepReason(issue);
    if (parsed.error.issues.every(salvageable)) {
      for (const issue of parsed.error.issues) {
        if (issue.code === 'unrecognized_keys') dropKeys(substituted, issue.path, issue.keys);
        else setKey(substituted, issue.path, keepReason(issue) ? '(missing)' : 'transient');
      }
      parsed = configSchema.safeParse(substituted);
    }
  }
  if (!parsed.success) return { problems };
  const config = parsed.data;
  try {
    checkConsistency(config, origin, locate);
  } catch (error) {
    problems.push(...(error as ConfigError).problems);
  }
  return { config: { ...config, origin, locate }, problems };
}

function setKey(root: unknown, path: readonly PropertyKey[], value: unknown): void {
  let node = root as Record<PropertyKey, unknown> | undefined;
  for (const key of path.slice(0, -1)) node = node?.[key] as Record<PropertyKey, unknown> | undefined;
  if (node && typeof node === 'object') node[path[path.length - 1]!] = value;
}

function dropKeys(root: unknown, path: readonly PropertyKey[], keys: readonly string[]): void {
  let node = root as Record<PropertyKey, unknown> | undefined;
  for (const key of path) node = node?.[key] as Record<PropertyKey, unknown> | undefined;
  if (node && typeof node === 'object') for (const key of keys) delete node[key];
}

function substituteAll(
  value: unknown,
  path: PropertyKey[],
  env: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
  locate: Config['locate'],
): unknown {
  if (typeof value === 'string') {
    try {
      return substituteEnv(value, formatKeyPath(path), env);
    } catch (error) {
      const keyPath = formatKeyPath(path);
      problems.push({ keyPath, message: (error as Error).message.slice(keyPath.length + 2), ...locate(path) });
      return value;
    }
  }
  if (Array.isArray(value)) return value.map((item, index) => substituteAll(item, [...path, index], env, problems, locate));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substituteAll(item, [...path, key], env, problems, locate)]),
    );
  }
  return value;
}

function describeIssue(issue: core.$ZodIssue, locate: Config['locate']): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(configSchema, issue.path);
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      return { keyPath: formatKeyPath(path), message: `unknown key${didYouMean(key, known)}`, ...locate(path) };
    });
  }
  const keyPath = formatKeyPath(issue.path);
  let message = issue.message;
  if (issue.code === 'invalid_type' && message.includes('received undefined')) message = 'is required';
  return [{ keyPath, message, ...(locate(issue.path) ?? locate(issue.path.slice(0, -1))) }];
}

/** The keys the schema allows in the object at `path` (every branch of a union), for "did you mean". */
function keysAt(schema: core.$ZodType, path: readonly PropertyKey[]): string[] {
  const branches = (node: core.$ZodType): core.$ZodType[] => {
    if (node instanceof z.ZodOptional) return branches(node.unwrap() as core.$ZodType);
    if (node instanceof z.ZodUnion) return (node.options as core.$ZodType[]).flatMap(branches);
    return [node];
  };
  let nodes = branches(schema);
  for (const key of path) {
    nodes = nodes.flatMap((node) => {
      if (node instanceof z.ZodObject && typeof key === 'string' && key in node.shape) return branches(node.shape[key] as core.$ZodType);
      if (node instanceof z.ZodArray && typeof key === 'number') return branches(node.element as core.$ZodType);
      return [];
    });
  }
  return nodes.flatMap((node) => (node instanceof z.ZodObject ? Object.keys(node.shape) : []));
}

function locateNode(document: Document, lineCounter: LineCounter, keyPath: readonly PropertyKey[]) {
  let node: unknown = document.contents;
  let keyNode: Node | undefined;
  for (const key of keyPath) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
      if (!pair) return positionOf(node as Node, lineCounter);
      keyNode = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      keyNode = undefined;
    } else {
      break;
    }
  }
  return positionOf(keyNode ?? (node as Node | undefined), lineCounter);
}

function positionOf(node: Node | undefined, lineCounter: LineCounter) {
  const offset = node?.range?.[0];
  if (offset === undefined) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function rejectLegacyShapes(raw: Record<string, unknown>, origin: string): void {
  if ('bridge' in raw) {
    throw new ConfigError(origin, [
      { keyPath: 'bridge', message: 'this is the Replibyte ≤0.4 shape; write it as datastore.aws (bucket, region, credentials)' },
    ]);
  }
}

function checkConsistency(config: RawConfig, origin: string, locate: Config['locate']): void {
  const problems: ConfigProblem[] = [];
  const skip = config.source?.skip ?? [];
  (config.source?.only_tables ?? []).forEach((only, index) => {
    if (skip.some((s) => s.database === only.database && s.table === only.table)) {
      const path = ['source', 'only_tables', index];
      problems.push({ keyPath: formatKeyPath(path), message: `${only.database}.${only.table} is both skipped and in only_tables`, ...locate(path) });
    }
  });
  if (problems.length > 0) throw new ConfigError(origin, problems);
}

/** The codec that `source.compression` asks for: true (the default) means zstd. */
export function compressionOf(config: Pick<RawConfig, 'source'>): CompressionCodec {
  const setting = config.source?.compression ?? true;
  if (setting === true) return 'zstd';
  if (setting === false) return 'none';
  return setting;
}
