import type { InventoryChanges, InventorySource, RangeRead, SyncRange } from '../../domain/inventory.js';
import type { Key, OperationContext } from '../../domain/provider.js';
import { NotFoundError } from '../../http/errors.js';
import { collectSkipParallel, paginateSkip } from '../../http/paginate.js';
import { mapLimit } from '../../util/concurrency.js';
import {
  advanceFeedCursor,
  decodeFeedCursor,
  encodeFeedCursor,
  type FeedEvent,
  readFrom,
} from '../feed-cursor.js';
import { ACTION_AUTHENTICATION, type IdmelonClient, KEY_STATUS_ACTIVE } from './client.js';
import { IDMELON } from './info.js';
import { toKey, toUser } from './mapping.js';
import type { LogEntry, SecurityKey } from './schemas.js';

/** The page size Keywarden asks IDmelon for; the sandbox, like the real server, may cap it. */
const PAGE = 100;
/** Keys (or users) each full sync range stores, unless the options say otherwise. */
export const IDMELON_WINDOW = 90;
/** How far each full sync range reads back into the one before it, unless the options say otherwise. */
export const IDMELON_OVERLAP = 10;
/**
 * The most ranges one listing (keys, or users) is cut into: past `IDMELON_WINDOW × this` items, each range grows
 * instead (read a page at a time), so a million-key workspace plans some 1 600 ranges in all, within what one build
 * holds (`MAX_PLANNED_RANGES` in src/store/inventory.ts).
 */
export const IDMELON_MAX_RANGES = 800;

export interface IdmelonInventoryOptions {
  /** Keys (or users) each range stores. @default 90 */
  windowSize?: number;
  /**
   * How far each range reads back into the one before it. The listings page by offset, so a key deleted while a
   * full sync runs shifts every later key one place left, and one would fall between two ranges read at different
   * times; reading a little of the previous window absorbs that many deletions per window (a key read twice is
   * stored once). Window and overlap together make one page of 100. @default 10
   */
  overlap?: number;
  /** Owners whose keys are read again at once during a refresh. @default 8 */
  concurrency?: number;
  /** The most ranges one listing is cut into; larger listings get larger ranges. @default IDMELON_MAX_RANGES */
  maxRanges?: number;
}

/**
 * How IDmelon's keys and people are read into the inventory.
 *
 * The inventory holds active keys only (`status` 20, the Security Keys page's first tab): what stale scans, the
 * digest and revocation look at. Pending keys (30) are enrolled but unusable, and are left to the live listing.
 *
 * Full sync: the totals of the keys and users listings (one request each), then `skip` windows of each, one request
 * per window (a page at a time, for the larger windows of a large workspace). Refresh: the activity logs from the cursor tell which keys were used; those keys, found at the top of
 * the active keys listing sorted by last use, name their owners; each owner's keys are read again whole. What the
 * logs cannot show is written beside `logEntrySchema`.
 */
export class IdmelonInventory implements InventorySource {
  readonly vendor = IDMELON.id;
  private readonly window: number;
  private readonly overlap: number;

  constructor(
    private readonly client: IdmelonClient,
    private readonly options: IdmelonInventoryOptions = {},
  ) {
    this.window = options.windowSize ?? IDMELON_WINDOW;
    this.overlap = Math.min(options.overlap ?? IDMELON_OVERLAP, this.window);
  }

  /**
   * The newest authentication in the logs (one request). An empty log gives a cursor at the log's start rather than
   * at Keywarden's clock: a vendor clock running behind ours would otherwise hide the first events.
   */
  async cursorNow(ctx: OperationContext): Promise<string> {
    const page = await this.client.activityLogs(
      { action: ACTION_AUTHENTICATION, limit: PAGE, skip: 0 },
      { deadline: ctx.deadline, meter: ctx.meter },
    );
    return encodeFeedCursor(advanceFeedCursor({ seen: [] }, page.data.map(feedEvent)));
  }

  async planFullSync(ctx: OperationContext): Promise<SyncRange[]> {
    const call = { deadline: ctx.deadline, meter: ctx.meter };
    const [keys, users] = await Promise.all([
      this.client.listSecurityKeys({ status: KEY_STATUS_ACTIVE, limit: 1, skip: 0 }, call),
      this.client.listUsers({ limit: 1, skip: 0 }, call),
    ]);
    return [...this.windows('keys', keys.total), ...this.windows('people', users.total)];
  }

  /**
   * Windows of `windowSize` from the listing's start, or larger ones for a listing of more than
   * `IDMELON_MAX_RANGES` windows. The last has no size: it reads to the listing's end, so what was added after the
   * plan is stored too.
   */
  private windows(kind: 'keys' | 'people', total: number): SyncRange[] {
    const size = Math.max(this.window, Math.ceil(total / (this.options.maxRanges ?? IDMELON_MAX_RANGES)));
    const ranges: SyncRange[] = [];
    for (let start = 0; start === 0 || start < total; start += size) {
      const last = start + size >= total;
      ranges.push({ id: `${kind}:${start}`, kind, start, ...(last ? {} : { size }) });
    }
    return ranges;
  }

  async readRange(range: SyncRange, ctx: OperationContext): Promise<RangeRead> {
    const call = { deadline: ctx.deadline, meter: ctx.meter };
    const start = typeof range.start === 'number' ? range.start : 0;
    const from = Math.max(0, start - this.overlap);
    const end = range.size === undefined ? Number.POSITIVE_INFINITY : start + range.size;
    if (range.kind === 'keys') {
      const raw = await this.readWindow(from, end, async (skip, limit) => {
        const p = await this.client.listSecurityKeys({ status: KEY_STATUS_ACTIVE, limit, skip }, call);
        return { items: p.data, total: p.total, skip, limit: p.limit };
      });
      return { keys: raw.map(toKey), people: [] };
    }
    if (range.kind === 'people') {
      const raw = await this.readWindow(from, end, async (skip, limit) => {
        const p = await this.client.listUsers({ limit, skip }, call);
        return { items: p.data, total: p.total, skip, limit: p.limit };
      });
      return { keys: [], people: raw.map(toUser) };
    }
    throw new TypeError(`IDmelon plans no range of kind ${range.kind}`);
  }

  /** Items [from, end) of an offset listing: one request when the server serves the whole window at once. */
  private async readWindow<T>(
    from: number,
    end: number,
    fetch: (skip: number, limit: number) => Promise<{ items: T[]; total: number }>,
  ): Promise<T[]> {
    const items: T[] = [];
    let skip = from;
    while (skip < end) {
      const page = await fetch(skip, Math.min(PAGE, end - skip));
      items.push(...page.items);
      skip += page.items.length;
      if (page.items.length === 0 || skip >= page.total) break;
    }
    return items;
  }

  async changesSince(cursor: string, ctx: OperationContext): Promise<InventoryChanges> {
    const call = { deadline: ctx.deadline, meter: ctx.meter };
    const previous = decodeFeedCursor(cursor);
    const from = readFrom(previous);
    const { items: entries } = await collectSkipParallel<LogEntry>(async (skip, limit) => {
      const p = await this.client.activityLogs(
        { action: ACTION_AUTHENTICATION, ...(from ? { from } : {}), limit, skip },
        call,
      );
      return { items: p.data, total: p.total, skip, limit: p.limit };
    });
    const next = encodeFeedCursor(advanceFeedCursor(previous, entries.map(feedEvent)));
    const seen = new Set(previous.seen);
    const fresh = entries.filter((e) => !seen.has(entryId(e)));
    const used = new Set(fresh.flatMap((e) => (e.securityKeyDevice ? [e.securityKeyDevice] : [])));
    const nothing: InventoryChanges = {
      keys: [],
      removedKeys: [],
      people: [],
      removedPeople: [],
      cursor: next,
    };
    if (used.size === 0) return nothing;

    const found = await this.activeKeysUsedSince(used, from, ctx);
    const owners = new Set<string>();
    const ownerless: Key[] = [];
    for (const raw of found) {
      if (raw.token?._id) owners.add(raw.token._id);
      else ownerless.push(toKey(raw));
    }
    const keys: Key[] = [...ownerless];
    const removedPeople: string[] = [];
    await mapLimit([...owners], this.options.concurrency ?? 8, async (owner) => {
      try {
        for (const raw of await this.client.allUserSecurityKeys(owner, {
          deadline: ctx.deadline,
          meter: ctx.meter,
        }))
          if (raw.status === KEY_STATUS_ACTIVE) keys.push(toKey(raw));
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        removedPeople.push(owner);
      }
    });
    return { ...nothing, keys, ownersReread: [...owners], removedPeople };
  }

  /**
   * The active keys among `wanted`, from the top of the keys listing sorted by last use, newest first: a key used
   * since `from` has a last use at least that recent, so the walk stops at the first key used before it (or once
   * every wanted key is found). A key not found was used, then revoked or deactivated; its owner, if found through
   * another key, is read again, and otherwise the daily full sync removes it. If the listing is out of order the
   * walk goes on to the end rather than trusting the stop.
   */
  private async activeKeysUsedSince(
    wanted: ReadonlySet<string>,
    from: string | undefined,
    ctx: OperationContext,
  ): Promise<SecurityKey[]> {
    const call = { deadline: ctx.deadline, meter: ctx.meter };
    const since = from === undefined ? Number.NEGATIVE_INFINITY : Date.parse(from);
    const found: SecurityKey[] = [];
    let previous = Number.POSITIVE_INFINITY;
    let ordered = true;
    const pages = paginateSkip<SecurityKey>(async (skip, limit) => {
      const p = await this.client.listSecurityKeys(
        { status: KEY_STATUS_ACTIVE, sort: 'lastActivity,descend', limit, skip },
        call,
      );
      return { items: p.data, total: p.total, skip, limit: p.limit };
    });
    for await (const page of pages) {
      let passed = false;
      for (const raw of page.items) {
        const used = raw.lastActivity ? Date.parse(raw.lastActivity.createdAt) : Number.NEGATIVE_INFINITY;
        if (used > previous) ordered = false;
        previous = used;
        if (wanted.has(raw._id)) found.push(raw);
        if (used < since) passed = true;
      }
      if (found.length >= wanted.size || (ordered && passed)) break;
    }
    return found;
  }
}

/** An entry's identity: its `_id`, or what it records when it has none (see the ASSUMPTIONS in schemas.ts). */
function entryId(e: LogEntry): string {
  return (
    e._id ??
    [e.createdAt, e.securityKeyDevice ?? '', e.credentialId ?? '', e.rpInfo?.id ?? '', e.status ?? ''].join(
      '|',
    )
  );
}

function feedEvent(e: LogEntry): FeedEvent {
  return { id: entryId(e), at: new Date(e.createdAt).toISOString() };
}
