import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, systemClock } from '../domain/clock.js';
import type { Logger } from '../domain/logger.js';
import type { SlackDirectory } from '../domain/policy.js';
import type { SlackApi } from '../slack/api.js';
import { mapLimit } from '../util/concurrency.js';
import { conditionFailed, epochSeconds } from './table.js';

export interface CachedSlackDirectoryOptions {
  table: string;
  /** How long one read of the workspace answers for, in this process and every other. @default 24 */
  ttlHours?: number;
  /** Time, for the snapshot's age. @default the system clock */
  clock?: Clock;
  /** Says so when a workspace's people come back without emails (the app lacks `users:read.email`). */
  logger?: Logger;
}

/** Slack's largest users.list page: 10 000 people are 10 calls. */
const PAGE_SIZE = 1000;
/** Entries per chunk item, and a byte budget well under DynamoDB's 400 KB item limit for long addresses. */
const CHUNK_ENTRIES = 2000;
const CHUNK_BYTES = 300_000;
/** Chunks outlive their head by this much, so DynamoDB's TTL never removes a chunk a valid head still names. */
const CHUNK_GRACE_MS = 3_600_000;
/** Chunk writes in flight at once. */
const WRITE_CONCURRENCY = 4;

const HEAD_KEY = { pk: 'DIRECTORY', sk: 'HEAD' };
const chunkPk = (snapshot: string) => `DIRECTORY#${snapshot}`;
const chunkSk = (index: number) => `CHUNK#${String(index).padStart(5, '0')}`;

/** How emails are compared: Slack profiles and vendor records differ in case and stray spaces. */
export function normalEmail(email: string): string {
  return email.trim().toLowerCase();
}

interface Snapshot {
  /** Slack user id by normalised email: active people only, no bots. */
  users: Map<string, string>;
  /** Epoch ms after which the snapshot is read again. */
  validUntil: number;
}

/**
 * The Slack directory for policies: who in the workspace has which email, read whole with paged users.list
 * (never one lookup per key owner, which a policy over thousands of keys would turn into thousands of calls) and
 * kept in DynamoDB for `ttlHours`, so every run and every process within that time makes no Slack call at all.
 * Within one instance the snapshot is also kept in memory, and concurrent callers share one read.
 *
 * Items (see table.ts for the table):
 * | item                         | pk                     | sk             |
 * |------------------------------|------------------------|----------------|
 * | the current snapshot's head  | `DIRECTORY`            | `HEAD`         |
 * | one chunk of a snapshot      | `DIRECTORY#<snapshot>` | `CHUNK#<nnnnn>`|
 *
 * A snapshot's chunks are written first, under an id of their own, and only then the head that names it, so a
 * reader sees either the old snapshot or the new one, never a mix. A head whose chunks are not all there is not
 * used. A snapshot replaced by a newer one is left to expire. Deactivated accounts and bots are left out; people
 * without an email (the app lacks `users:read.email`, or the profile has none) cannot be matched and are left out.
 *
 * `emailOf` decides whether a person may act on a key as its owner, so it asks Slack every time (users.info)
 * rather than trust a snapshot up to a day old.
 */
export class CachedSlackDirectory implements SlackDirectory {
  private readonly ttlMs: number;
  private readonly now: () => number;
  private memory: Snapshot | undefined;
  private loading: Promise<Snapshot> | undefined;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly slack: SlackApi,
    private readonly options: CachedSlackDirectoryOptions,
  ) {
    this.ttlMs = (options.ttlHours ?? 24) * 3_600_000;
    const clock = options.clock ?? systemClock;
    this.now = () => clock.now().getTime();
  }

  async usersByEmail(emails: readonly string[]): Promise<Map<string, string>> {
    const wanted = new Set(emails.map(normalEmail).filter((e) => e !== ''));
    const found = new Map<string, string>();
    if (wanted.size === 0) return found;
    const { users } = await this.snapshot();
    for (const email of wanted) {
      const id = users.get(email);
      if (id) found.set(email, id);
    }
    return found;
  }

  /** Read fresh from Slack each time, normalised like `usersByEmail`'s keys. */
  async emailOf(userId: string): Promise<string | undefined> {
    const email = normalEmail((await this.slack.userEmail(userId)) ?? '');
    return email || undefined;
  }

  private async snapshot(): Promise<Snapshot> {
    if (this.memory && this.now() < this.memory.validUntil) return this.memory;
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<Snapshot> {
    const snapshot = (await this.readStored()) ?? (await this.readSlack());
    this.memory = snapshot;
    return snapshot;
  }

  /** The stored snapshot, when there is a head still valid and every chunk it names. */
  private async readStored(): Promise<Snapshot | undefined> {
    const { Item: head } = await this.db.send(
      new GetCommand({ TableName: this.options.table, Key: HEAD_KEY, ConsistentRead: true }),
    );
    if (
      !head ||
      typeof head.snapshot !== 'string' ||
      typeof head.chunks !== 'number' ||
      typeof head.validUntil !== 'number' ||
      head.validUntil <= this.now()
    )
      return undefined;
    const users = new Map<string, string>();
    let chunks = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.options.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': chunkPk(head.snapshot) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const entries = parseEntries(item.users);
        if (!entries) return undefined;
        for (const [email, id] of entries) users.set(email, id);
        chunks++;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    if (chunks !== head.chunks) return undefined;
    return { users, validUntil: head.validUntil };
  }

  /** Reads the whole workspace from Slack and stores it as the current snapshot. */
  private async readSlack(): Promise<Snapshot> {
    const readAt = this.now();
    const users = new Map<string, string>();
    const seen = new Set<string>();
    let cursor: string | undefined;
    let people = 0;
    do {
      const page = await this.slack.listUsers({ ...(cursor ? { cursor } : {}), limit: PAGE_SIZE });
      for (const member of page.members) {
        if (member.deleted || member.isBot) continue;
        people++;
        if (!member.email) continue;
        const email = normalEmail(member.email);
        if (email && !users.has(email)) users.set(email, member.id);
      }
      cursor = page.nextCursor;
      if (cursor !== undefined) {
        if (seen.has(cursor)) throw new Error('users.list returned a cursor it had already returned');
        seen.add(cursor);
      }
    } while (cursor);
    if (people > 0 && users.size === 0)
      this.options.logger?.warn(
        'Slack returned no email for anyone: the app needs the users:read.email scope (reinstall it after adding it), or no owner can be found',
        { people },
      );
    const snapshot = { users, validUntil: readAt + this.ttlMs };
    await this.store(snapshot, readAt);
    return snapshot;
  }

  private async store(snapshot: Snapshot, readAt: number): Promise<void> {
    const id = randomUUID();
    const chunks = chunkEntries([...snapshot.users]);
    await mapLimit(chunks, WRITE_CONCURRENCY, (entries, index) =>
      this.db.send(
        new PutCommand({
          TableName: this.options.table,
          Item: {
            pk: chunkPk(id),
            sk: chunkSk(index),
            users: JSON.stringify(entries),
            expiresAt: epochSeconds(snapshot.validUntil + CHUNK_GRACE_MS),
          },
        }),
      ),
    );
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.options.table,
          Item: {
            ...HEAD_KEY,
            snapshot: id,
            chunks: chunks.length,
            people: snapshot.users.size,
            readAt,
            validUntil: snapshot.validUntil,
            expiresAt: epochSeconds(snapshot.validUntil),
          },
          // Two processes may read Slack at once: the later read wins, whichever finishes last.
          ConditionExpression: 'attribute_not_exists(pk) OR readAt < :readAt',
          ExpressionAttributeValues: { ':readAt': readAt },
        }),
      );
    } catch (err) {
      // A newer snapshot is already current; this one's chunks expire unread.
      if (!conditionFailed(err)) throw err;
    }
  }
}

/** Splits (email, user id) pairs into chunks of at most CHUNK_ENTRIES pairs and CHUNK_BYTES of JSON. */
function chunkEntries(entries: Array<[string, string]>): Array<Array<[string, string]>> {
  const chunks: Array<Array<[string, string]>> = [];
  let current: Array<[string, string]> = [];
  let bytes = 2;
  for (const entry of entries) {
    const size = Buffer.byteLength(JSON.stringify(entry)) + 1;
    if (current.length > 0 && (current.length >= CHUNK_ENTRIES || bytes + size > CHUNK_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 2;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** A chunk's pairs, or undefined when the item is not one this code wrote. */
function parseEntries(value: unknown): Array<[string, string]> | undefined {
  if (typeof value !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const ok = parsed.every(
    (e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'string',
  );
  return ok ? (parsed as Array<[string, string]>) : undefined;
}
