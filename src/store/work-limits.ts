import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, systemClock } from '../domain/clock.js';
import type { PersonJobInput } from '../jobs/job.js';
import { conditionFailed, epochSeconds } from './table.js';

/**
 * Bounded work per person (unbounded, one admin sending 200 `/keys stale 1` makes over 100 000 vendor requests and
 * 200 CSV DMs). Before a job is queued it takes a slot: at most `perUser` jobs queued or running per person and
 * `total` in all, and a job that does the same work as one the person already has queued or running is not
 * queued again. The worker gives the slot back when the job is done; a slot whose worker died stops counting at
 * its expiry, so nothing leaks for ever.
 */
export type Admission =
  | { kind: 'admitted' }
  /** The same work is already queued or running for this person; it answers in `channel`. */
  | { kind: 'coalesced'; channel: string }
  | { kind: 'user-limit'; limit: number }
  | { kind: 'global-limit'; limit: number }
  /** The write was refused, but by the time it was read again there was room (a slot was freed meanwhile). */
  | { kind: 'contended' };

/** What the Slack-facing listeners need: a slot before a job is queued, and the slot back if queuing failed. */
export interface WorkLimiter {
  admit(job: PersonJobInput): Promise<Admission>;
  release(job: PersonJobInput): Promise<void>;
}

/** What the worker needs: the slot back when the job is done. */
export type WorkReleaser = Pick<WorkLimiter, 'release'>;

/**
 * Which jobs are the same work. Scans, lookups, digest previews and CSV downloads with the same parameters are;
 * "Next 20" pages are cheap enough to run each time (they only count toward the caps), and revocation jobs have
 * their own state machine that already answers a second press, so each of those is its own work.
 */
export function sameWorkKey(job: PersonJobInput): string {
  switch (job.kind) {
    case 'keys.stale':
      if (job.mode === 'page') return `job:${job.id}`;
      return `keys.stale.${job.mode}:${job.days}:${job.type ?? ''}:${job.vendor ?? ''}`;
    case 'user.lookup':
      return `user.lookup:${job.query.trim().toLowerCase()}`;
    case 'digest.preview':
      return 'digest.preview';
    default:
      return `job:${job.id}`;
  }
}

export interface WorkLimitsOptions {
  table: string;
  /** Jobs queued or running per person. @default 3 */
  perUser?: number;
  /** Jobs queued or running in all. @default 20 */
  total?: number;
  /**
   * How long a slot counts without being given back. It must outlast a job's wait in the queue plus its run: with
   * 20 jobs in all, 5 workers (serverless.yml `workerConcurrency`) and a 120 s worker timeout, the last job in
   * waits at most 3 × 120 s and runs 120 s, 8 minutes. 15 minutes leaves room, and a worker that dies holds a
   * person's slot for no longer than that. @default 900_000
   */
  slotTtlMs?: number;
  /** Time, for TTLs and leases. @default the system clock */
  clock?: Clock;
}

/** Entry of a slot list: the job that holds it, and when the slot stops counting (epoch ms). */
interface ListEntry {
  j: string;
  x: number;
}

/** The same-work marker: also where that work answers. */
interface WorkMarker extends ListEntry {
  c: string;
}

interface Board {
  [attribute: string]: unknown;
}

const GLOBAL_LIST = 'all';
/** Releases retry when a concurrent admission moved the list under them; each try is one read and one write. */
const RELEASE_ATTEMPTS = 5;

/**
 * The slots, in one DynamoDB item (`pk` `LIMITS`, `sk` `WORK`) so that one conditional write checks the person's
 * cap, the global cap and the same-work marker together (dynalite, the local DynamoDB, has no transactions):
 *
 * - `u:<user>` and `all`: lists of `{ j: job id, x: expiry }`, newest first. Every slot lives the same
 *   `slotTtlMs`, so prepending keeps each list in falling expiry order, and "fewer than N live slots" is exactly
 *   "entry N-1 is missing or expired", a condition DynamoDB can evaluate. Expired entries need no clean-up
 *   before an admission; releases prune them.
 * - `k:<user>:<hash of the work>`: the same-work marker, `{ j, x, c: channel }`.
 *
 * An admission is one UpdateItem; only a refusal reads the item back (a second call) to say why, so the listener
 * makes at most two calls.
 */
export class WorkLimits implements WorkLimiter {
  private readonly perUser: number;
  private readonly total: number;
  private readonly slotTtlMs: number;
  private readonly now: () => number;
  private readonly key = { pk: 'LIMITS', sk: 'WORK' };

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly options: WorkLimitsOptions,
  ) {
    this.perUser = options.perUser ?? 3;
    this.total = options.total ?? 20;
    this.slotTtlMs = options.slotTtlMs ?? 900_000;
    const clock = options.clock ?? systemClock;
    this.now = () => clock.now().getTime();
  }

  async admit(job: PersonJobInput): Promise<Admission> {
    const now = this.now();
    const entry: ListEntry = { j: job.id, x: now + this.slotTtlMs };
    const marker: WorkMarker = { ...entry, c: job.origin.channel };
    const names = { '#u': userList(job), '#all': GLOBAL_LIST, '#k': markerOf(job) };
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: this.key,
          UpdateExpression:
            'SET #u = list_append(:entry, if_not_exists(#u, :empty)), #all = list_append(:entry, if_not_exists(#all, :empty)), #k = :marker, expiresAt = :ttl',
          ConditionExpression: [
            '(attribute_not_exists(#k) OR #k.x < :now)',
            `(attribute_not_exists(#u[${this.perUser - 1}]) OR #u[${this.perUser - 1}].x < :now)`,
            `(attribute_not_exists(#all[${this.total - 1}]) OR #all[${this.total - 1}].x < :now)`,
          ].join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':entry': [entry],
            ':empty': [],
            ':marker': marker,
            ':now': now,
            // The board goes when nothing has been admitted for a slot's lifetime: every slot on it has expired.
            ':ttl': epochSeconds(entry.x) + 1,
          },
        }),
      );
      return { kind: 'admitted' };
    } catch (err) {
      if (!conditionFailed(err)) throw err;
    }
    return this.explain(job, await this.board(), this.now());
  }

  /** Why an admission was refused, from the board read back: only live slots count. */
  private explain(job: PersonJobInput, board: Board, now: number): Admission {
    const marker = board[markerOf(job)] as WorkMarker | undefined;
    if (marker && marker.x >= now) return { kind: 'coalesced', channel: marker.c };
    if (live(board[userList(job)], now) >= this.perUser) return { kind: 'user-limit', limit: this.perUser };
    if (live(board[GLOBAL_LIST], now) >= this.total) return { kind: 'global-limit', limit: this.total };
    return { kind: 'contended' };
  }

  /**
   * Gives the job's slot back (and prunes expired slots of the same person and of the global list). Releasing a
   * job that holds no slot does nothing, so a redelivered job may release again.
   */
  async release(job: PersonJobInput): Promise<void> {
    for (let attempt = 1; attempt <= RELEASE_ATTEMPTS; attempt++) {
      const board = await this.board();
      const now = this.now();
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      const removals: string[] = [];
      const conditions: string[] = [];
      const gone = (e: ListEntry) => e.j === job.id || e.x < now;
      const lists: Array<[string, string]> = [
        ['#u', userList(job)],
        ['#all', GLOBAL_LIST],
      ];
      for (const [alias, attribute] of lists) {
        const entries = (board[attribute] as ListEntry[] | undefined) ?? [];
        const doomed = entries.flatMap((e, i) => (gone(e) ? [i] : []));
        if (doomed.length === 0) continue;
        names[alias] = attribute;
        // Highest index first: DynamoDB removes by the original positions, dynalite one after another, and
        // falling order means the same thing to both.
        for (const i of doomed.reverse()) {
          removals.push(`${alias}[${i}]`);
          const v = `:${alias.slice(1)}${i}`;
          conditions.push(`${alias}[${i}].j = ${v}`);
          values[v] = entries[i]?.j;
        }
      }
      const prefix = `k:${job.origin.user}:`;
      const own = markerOf(job);
      let m = 0;
      for (const [attribute, value] of Object.entries(board)) {
        if (!attribute.startsWith(prefix)) continue;
        const marker = value as WorkMarker;
        if (!(attribute === own && marker.j === job.id) && marker.x >= now) continue;
        const alias = `#k${m}`;
        names[alias] = attribute;
        values[`:k${m}`] = marker.j;
        removals.push(alias);
        conditions.push(`${alias}.j = :k${m}`);
        m++;
      }
      if (removals.length === 0) return;
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.options.table,
            Key: this.key,
            UpdateExpression: `REMOVE ${removals.join(', ')}`,
            // Every entry removed is still the one read: an admission in between shifts the lists.
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
        return;
      } catch (err) {
        if (!conditionFailed(err)) throw err;
      }
    }
    throw new WorkLimitsError(
      `could not release the slot of job ${job.id} after ${RELEASE_ATTEMPTS} tries; it expires on its own`,
    );
  }

  private async board(): Promise<Board> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.options.table, Key: this.key, ConsistentRead: true }),
    );
    return (res.Item as Board | undefined) ?? {};
  }
}

export class WorkLimitsError extends Error {
  override name = 'WorkLimitsError';
}

function userList(job: PersonJobInput): string {
  return `u:${job.origin.user}`;
}

function markerOf(job: PersonJobInput): string {
  return `k:${job.origin.user}:${createHash('sha256').update(sameWorkKey(job)).digest('hex').slice(0, 16)}`;
}

function live(list: unknown, now: number): number {
  return ((list as ListEntry[] | undefined) ?? []).filter((e) => e.x >= now).length;
}
