import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Datastore } from '../datastores/datastore.js';
import { ReplibyteError } from '../errors.js';
import { TOOL_NAME } from '../version.js';

/**
 * One name, one owner (docs/format.md, "Claiming a name"; docs/decisions/0013-name-claims.md). A
 * `dump create` writes its own claim object under `<name>/claims/`, then lists that folder: it owns the
 * name when the listing shows its claim and no other live one. Two runs that write and list at once
 * cannot both see only themselves (each listing follows its own write), so at most one wins; when they
 * see each other, the claim whose key sorts first (its start time, then random) waits a moment for the
 * other to withdraw, and every other claim withdraws at once. Only plain PUT, LIST and DELETE with
 * read-after-write consistency are needed: local disk, S3 (since 2020), GCS, MinIO, R2.
 */

export const CLAIMS_FOLDER = 'claims';
/** The owner rewrites its claim this often, so that others can tell a live run from a dead one. */
export const CLAIM_HEARTBEAT_MS = 30_000;
/** A claim not rewritten for this long belongs to a dead run (or one frozen for as long: it has lost). */
export const CLAIM_STALE_MS = 10 * 60_000;
/** How long the first of several claims waits for the others to withdraw. */
const CONTEST_WAIT_MS = 10_000;
const CONTEST_POLL_MS = 200;
const CLAIM_FILE = /^(\d{13})-([0-9a-f]{16})\.json$/;

export interface ClaimRecord {
  run: string;
  tool: string;
  startedAt: string;
  heartbeatAt: string;
  host: string;
  pid: number;
  /** Linux's pid namespace: a pid is only checked on the same host and in the same namespace. */
  pidNamespace?: string;
}

export interface ClaimState {
  key: string;
  record?: ClaimRecord;
  /** The later of the record's heartbeat and the store's modification time. */
  lastSeen: Date;
  live: boolean;
  /** Why it is judged dead or alive, for messages. */
  why: string;
}

export function claimsPrefix(name: string): string {
  return `${name}/${CLAIMS_FOLDER}/`;
}

export function isClaimKey(name: string, key: string): boolean {
  return key.startsWith(claimsPrefix(name)) && CLAIM_FILE.test(key.slice(claimsPrefix(name).length));
}

/** Every claim under a name, live or not, sorted by key (the contest's order). */
export async function readClaims(datastore: Datastore, name: string, now = new Date()): Promise<ClaimState[]> {
  const claims: ClaimState[] = [];
  for await (const object of datastore.listDetailed(claimsPrefix(name))) {
    if (!isClaimKey(name, object.key)) continue;
    const bytes = await datastore.getSmall(object.key).catch(() => Buffer.alloc(0));
    // Deleted between the listing and the read: its run withdrew or finished.
    if (!bytes) continue;
    const record = parseRecord(bytes);
    const heartbeat = record ? new Date(record.heartbeatAt).getTime() : Number.NaN;
    const lastSeen = new Date(Math.max(object.modifiedAt.getTime(), Number.isNaN(heartbeat) ? 0 : heartbeat));
    claims.push({ key: object.key, ...(record && { record }), lastSeen, ...judge(record, lastSeen, now) });
  }
  return claims.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function judge(record: ClaimRecord | undefined, lastSeen: Date, now: Date): { live: boolean; why: string } {
  if (record && record.host === hostname() && record.pidNamespace === pidNamespace() && !processExists(record.pid)) {
    return { live: false, why: `process ${record.pid} on ${record.host} is gone` };
  }
  const age = now.getTime() - lastSeen.getTime();
  if (age > CLAIM_STALE_MS) return { live: false, why: `no heartbeat for ${Math.round(age / 60_000)} min` };
  return { live: true, why: 'heartbeat is recent' };
}

/** The claim a `dump create` holds on its name while it writes; released when the manifest is written. */
export class NameClaim {
  private timer: NodeJS.Timeout | undefined;
  private lostReason: string | undefined;
  private readonly record: ClaimRecord;

  private constructor(
    private readonly datastore: Datastore,
    readonly name: string,
    readonly key: string,
    startedAt: Date,
  ) {
    const namespace = pidNamespace();
    this.record = {
      run: key.slice(claimsPrefix(name).length, -'.json'.length),
      tool: TOOL_NAME,
      startedAt: startedAt.toISOString(),
      heartbeatAt: startedAt.toISOString(),
      host: hostname(),
      pid: process.pid,
      ...(namespace && { pidNamespace: namespace }),
    };
  }

  /**
   * Claims `name` or throws a ReplibyteError naming the run that holds it. Writing the claim is also the
   * check that the datastore is writable, before anything else is opened. `stale` receives the claims
   * of dead runs seen on the way (their leftovers are the winner's to clear).
   */
  static async acquire(datastore: Datastore, name: string): Promise<{ claim: NameClaim; stale: ClaimState[] }> {
    const started = new Date();
    const key = `${claimsPrefix(name)}${String(started.getTime()).padStart(13, '0')}-${randomBytes(8).toString('hex')}.json`;
    const claim = new NameClaim(datastore, name, key, started);
    await datastore.putAtomic(key, claim.bytes());
    try {
      const stale = await claim.contest();
      claim.startHeartbeat();
      return { claim, stale };
    } catch (error) {
      await datastore.delete(key).catch(() => undefined);
      throw error;
    }
  }

  /** Lists until this claim is the only live one, or another one has priority. */
  private async contest(): Promise<ClaimState[]> {
    const deadline = Date.now() + CONTEST_WAIT_MS;
    for (;;) {
      const claims = await readClaims(this.datastore, this.name);
      if (!claims.some((claim) => claim.key === this.key)) throw this.taken(undefined, 'its claim was removed while it was being made');
      const rivals = claims.filter((claim) => claim.live && claim.key !== this.key);
      if (rivals.length === 0) return claims.filter((claim) => !claim.live);
      const first = rivals.find((rival) => rival.key < this.key);
      if (first) throw this.taken(first);
      if (Date.now() >= deadline) throw this.taken(rivals[0]);
      await sleep(CONTEST_POLL_MS);
    }
  }

  private taken(holder: ClaimState | undefined, detail?: string): ReplibyteError {
    const who = holder?.record
      ? `another dump create (started ${holder.record.startedAt} on ${holder.record.host}, pid ${holder.record.pid})`
      : 'another dump create';
    return new ReplibyteError(
      `the dump name ${this.name} is being written by ${who} in ${this.datastore.description}${detail ? `: ${detail}` : ''}; nothing was written`,
      'wait for it to finish, or choose another --name',
    );
  }

  /** Rewrites the claim now and then; a claim that disappeared (pruned as stale) means the name is lost. */
  private startHeartbeat(): void {
    this.timer = setInterval(() => void this.beat(), CLAIM_HEARTBEAT_MS);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    try {
      if (!(await this.datastore.getSmall(this.key))) {
        this.lostReason = 'its claim was removed (judged stale) while it was writing';
        this.stopHeartbeat();
        return;
      }
      this.record.heartbeatAt = new Date().toISOString();
      await this.datastore.putAtomic(this.key, this.bytes());
    } catch {
      // The store may be briefly away; the next beat tries again, and the stale limit is generous.
    }
  }

  /** Before the manifest is written: the name must still be this run's. Throws if it was lost. */
  async confirm(): Promise<void> {
    if (!this.lostReason) {
      const claims = await readClaims(this.datastore, this.name);
      if (!claims.some((claim) => claim.key === this.key)) this.lostReason = 'its claim was removed (judged stale) while it was writing';
    }
    if (this.lostReason) throw new ReplibyteError(`dump ${this.name} lost its claim on the name: ${this.lostReason}; its manifest was not written`);
  }

  /** True when another run may own the name now: nothing under it may be deleted by this one. */
  get lost(): boolean {
    return this.lostReason !== undefined;
  }

  stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Removes the claim (after the manifest is written, or after clearing a failed run). */
  async release(): Promise<void> {
    this.stopHeartbeat();
    await this.datastore.delete(this.key);
  }

  private bytes(): Buffer {
    return Buffer.from(`${JSON.stringify(this.record)}\n`);
  }
}

function parseRecord(bytes: Buffer | undefined): ClaimRecord | undefined {
  if (!bytes) return undefined;
  try {
    const json = JSON.parse(bytes.toString('utf8')) as Partial<ClaimRecord>;
    if (typeof json.host !== 'string' || typeof json.pid !== 'number' || typeof json.heartbeatAt !== 'string' || typeof json.startedAt !== 'string') return undefined;
    return json as ClaimRecord;
  } catch {
    return undefined;
  }
}

let namespace: string | undefined | null = null;
function pidNamespace(): string | undefined {
  if (namespace === null) {
    try {
      namespace = readlinkSync('/proc/self/ns/pid');
    } catch {
      namespace = undefined;
    }
  }
  return namespace;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
