import type { DigestInput, VendorDigest } from '../../domain/digest.js';
import type {
  Key,
  KeyRef,
  OperationContext,
  Provider,
  RevokeResult,
  StaleListing,
  StaleQuery,
  UserProfile,
  UserSummary,
} from '../../domain/provider.js';
import { NotFoundError } from '../../http/errors.js';
import { collectSkipParallel, readAheadSkip } from '../../http/paginate.js';
import type { Logger } from '../../log.js';
import { mapLimit } from '../../util/concurrency.js';
import { type IdmelonClient, KEY_STATUS_ACTIVE } from './client.js';
import { idmelonDigest } from './digest.js';
import { type DirectoryOptions, UserDirectory } from './directory.js';
import { IDMELON } from './info.js';
import { toGroup, toKey, toPasskey, toUser } from './mapping.js';
import { keyTypeCounts, type SecurityKey } from './schemas.js';

/** IDmelon user and key ids are MongoDB ObjectIds: 24 hex digits. */
const OBJECT_ID = /^[0-9a-f]{24}$/i;
const PAGE = 100;
/**
 * Pages of a stale scan in flight at once, at most. At 50 ms a request, a scan of 100 pages (10 000 stale keys)
 * takes about 0.8 s with 12 against 5.5 s one page at a time, and about 1 s with 8 (bench/idmelon.ts).
 */
export const READ_AHEAD_PAGES = 12;

export interface IdmelonProviderOptions {
  directory?: DirectoryOptions;
  /** Pages in flight for a full scan. @default 8 */
  concurrency?: number;
  /**
   * Most pages of the sorted stale scan requested at once. The scan starts with one page ahead and widens by one
   * for every wholly stale page, so a scan that ends early asks for few pages it does not read, and at most
   * `readAhead - 1` beyond the page where it stops; 1 reads one page at a time. @default READ_AHEAD_PAGES (12)
   */
  readAhead?: number;
}

function lastUse(raw: SecurityKey): number {
  return raw.lastActivity ? Date.parse(raw.lastActivity.createdAt) : Number.NEGATIVE_INFINITY;
}

/**
 * How many more pages a scan sorted by last use will likely read, up to and including the one with the first key
 * used after the cutoff, judged by how densely the last page packed its last uses. IDmelon gives no count of keys
 * idle since a date, and without a guess read-ahead would ask for up to a window of pages past the cutoff.
 * Undefined when the page cannot tell: fewer than two dated keys, or all used at one instant.
 */
function pagesToFresh(page: readonly SecurityKey[], cutoff: number): number | undefined {
  const dated = page.filter((k) => k.lastActivity);
  const first = dated[0];
  const last = dated.at(-1);
  if (!first || !last || dated.length < 2) return undefined;
  const from = lastUse(first);
  const to = lastUse(last);
  if (!(to > from)) return undefined;
  const keysLeft = Math.max(0, ((cutoff - to) * (dated.length - 1)) / (to - from));
  return Math.ceil((keysLeft + 1) / page.length);
}

export class IdmelonProvider implements Provider {
  readonly vendor = IDMELON.id;
  readonly label = IDMELON.label;
  /** Keys per bulk DELETE; the docs set no limit, this keeps one request's blast radius and body small. */
  readonly revokeBatchSize = 100;
  readonly tracksUse = IDMELON.tracksUse;
  private readonly directory: UserDirectory;

  constructor(
    readonly client: IdmelonClient,
    private readonly options: IdmelonProviderOptions = {},
  ) {
    this.directory = new UserDirectory(client, options.directory);
  }

  /**
   * Active keys sorted by last use, ascending, read page by page until the first key used after the cutoff:
   * the cost grows with the number of stale keys, not with the workspace. Never-used keys (no `lastActivity`)
   * come first on `ascend`, as MongoDB sorts a missing field before any value. The order is checked as we go;
   * if IDmelon ever returns a page out of order, the sort cannot be trusted and every key is read instead.
   * Pages are read ahead (see `readAhead`), no further than the last page's spread of last uses says the cutoff
   * is, and checked in order; those asked for beyond the page where the scan stops are cancelled.
   */
  listStale(query: StaleQuery, ctx: OperationContext): Promise<StaleListing> {
    return this.scanStale(query, ctx, this.options.readAhead ?? READ_AHEAD_PAGES);
  }

  private async scanStale(
    query: StaleQuery,
    ctx: OperationContext,
    readAhead: number,
  ): Promise<StaleListing> {
    const cutoff = query.cutoff.getTime();
    const call = { deadline: ctx.deadline, meter: ctx.meter };
    const stale: Key[] = [];
    const neverUsed: Key[] = [];
    let wantedSeen = 0;
    const take = (raw: SecurityKey) => {
      if (query.type && raw.type !== query.type) return;
      if (query.wanted?.has(raw._id)) wantedSeen++;
      (raw.lastActivity ? stale : neverUsed).push(toKey(raw));
    };
    const foundAll = () => query.wanted !== undefined && wantedSeen >= query.wanted.size;

    let previous = Number.NEGATIVE_INFINITY;
    let outOfOrder = false;
    let reachedFresh = false;
    let inventory: StaleListing['inventory'];
    let pagesLeft: number | undefined;
    const pages = readAheadSkip<SecurityKey>(
      async (skip, limit, signal) => {
        const page = await this.client.listSecurityKeys(
          { status: KEY_STATUS_ACTIVE, sort: 'lastActivity,ascend', limit, skip },
          { ...call, signal },
        );
        if (skip === 0) {
          const byType = keyTypeCounts(page.statistics);
          if (byType) inventory = { total: page.total, byType };
        }
        return { items: page.data, total: page.total, skip, limit: page.limit };
      },
      { limit: PAGE, window: readAhead, pagesLeft: () => pagesLeft },
    );
    for await (const page of pages) {
      // The whole page is checked, not just up to the first fresh key: a server that ignored `sort` and led with
      // a fresh key would otherwise look like a workspace with nothing stale.
      for (const raw of page.items) {
        const used = lastUse(raw);
        if (used < previous) outOfOrder = true;
        previous = used;
      }
      if (outOfOrder) break;
      for (const raw of page.items) {
        if (lastUse(raw) >= cutoff) {
          reachedFresh = true;
          break;
        }
        take(raw);
      }
      ctx.onProgress?.({
        phase: 'scanning keys',
        done: page.skip + page.items.length,
        total: page.total,
        requests: ctx.meter.requests,
      });
      if (outOfOrder || reachedFresh || foundAll()) break;
      pagesLeft = pagesToFresh(page.items, cutoff);
    }
    if (!outOfOrder) return { stale, neverUsed, scan: 'sorted', inventory };

    const items = await this.allKeys(KEY_STATUS_ACTIVE, ctx, (done, total) =>
      ctx.onProgress?.({ phase: 'scanning every key', done, total, requests: ctx.meter.requests }),
    );
    stale.length = 0;
    neverUsed.length = 0;
    const byLastUse = (a: SecurityKey, b: SecurityKey) => Math.sign(lastUse(a) - lastUse(b)) || 0;
    for (const raw of items.filter((k) => lastUse(k) < cutoff).sort(byLastUse)) take(raw);
    return {
      stale,
      neverUsed,
      scan: 'full',
      note: 'IDmelon returned keys out of last-use order, so every active key was read instead of stopping early.',
      inventory,
    };
  }

  async findUsers(query: string, ctx: OperationContext): Promise<UserSummary[]> {
    const q = query.trim().toLowerCase();
    if (q.includes('@')) return this.directory.find((u) => u.email?.toLowerCase() === q, ctx);
    if (OBJECT_ID.test(q)) {
      const found = await this.directory.find((u) => u.id.toLowerCase() === q, ctx);
      if (found.length) return found;
      // Not in the list we hold: ask for the user directly before saying no.
      try {
        return [toUser(await this.client.getUser(q, { deadline: ctx.deadline, meter: ctx.meter }))];
      } catch (err) {
        if (err instanceof NotFoundError) return [];
        throw err;
      }
    }
    const words = q.split(/\s+/).filter(Boolean);
    return this.directory.find((u) => {
      const hay = `${u.name ?? ''} ${u.email ?? ''}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    }, ctx);
  }

  async userProfile(userId: string, ctx: OperationContext): Promise<UserProfile> {
    const call = { deadline: ctx.deadline, meter: ctx.meter };
    const [user, keys, passkeys, groups] = await Promise.all([
      this.client.getUser(userId, call),
      this.client.allUserSecurityKeys(userId, { deadline: ctx.deadline, meter: ctx.meter }),
      this.client.userPasskeys(userId, call),
      this.client.groups({ userId, limit: 100 }, call),
    ]);
    return {
      user: { ...toUser(user), createdAt: user.createdAt ?? undefined },
      keys: keys.map(toKey),
      passkeys: passkeys.data.map(toPasskey),
      groups: groups.data.map(toGroup),
    };
  }

  /** Every key in the workspace (of one status, if given), pages read ahead with `concurrency` in flight. */
  private async allKeys(
    status: number | undefined,
    ctx: OperationContext,
    onPage?: (done: number, total: number) => void,
  ): Promise<SecurityKey[]> {
    const call = { deadline: ctx.deadline, meter: ctx.meter };
    const { items } = await collectSkipParallel<SecurityKey>(
      async (skip, limit, signal) => {
        const p = await this.client.listSecurityKeys({ status, limit, skip }, { ...call, signal });
        return { items: p.data, total: p.total, skip, limit: p.limit };
      },
      { limit: PAGE, concurrency: this.options.concurrency ?? 8, onPage },
    );
    return items;
  }

  /**
   * IDmelon documents no way to read one key by id. Still-stale keys are confirmed in bulk with the sorted scan
   * (when a cutoff is given); the rest are looked up in their owner's key list, one request per owner; keys with no
   * known owner are found by reading every key.
   */
  async currentKeys(
    refs: readonly KeyRef[],
    hint: { cutoff?: Date },
    ctx: OperationContext,
  ): Promise<Map<string, Key | null>> {
    const found = new Map<string, Key | null>();
    const wanted = new Set(refs.map((r) => r.id));
    if (hint.cutoff && refs.length > 1) {
      const listing = await this.listStale({ cutoff: hint.cutoff, wanted }, ctx);
      for (const k of [...listing.stale, ...listing.neverUsed]) if (wanted.has(k.id)) found.set(k.id, k);
    }
    const rest = refs.filter((r) => !found.has(r.id));
    const byOwner = new Map<string, KeyRef[]>();
    const ownerless: KeyRef[] = [];
    for (const r of rest) {
      if (r.ownerId) byOwner.set(r.ownerId, [...(byOwner.get(r.ownerId) ?? []), r]);
      else ownerless.push(r);
    }
    await mapLimit([...byOwner.entries()], this.options.concurrency ?? 8, async ([ownerId, owned]) => {
      const keys = new Map<string, Key>();
      try {
        for (const raw of await this.client.allUserSecurityKeys(ownerId, {
          deadline: ctx.deadline,
          meter: ctx.meter,
        }))
          keys.set(raw._id, toKey(raw));
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      for (const r of owned) found.set(r.id, keys.get(r.id) ?? null);
    });
    if (ownerless.length) {
      const all = new Map((await this.allKeys(undefined, ctx)).map((raw) => [raw._id, toKey(raw)]));
      for (const r of ownerless) found.set(r.id, all.get(r.id) ?? null);
    }
    return found;
  }

  /**
   * One key: `DELETE /administrator/securityDevice/{id}?_id={id}`, where 404 means already gone. Several: the bulk
   * `DELETE /administrator/securityDevice/` with `_ids`, which answers with one message for all of them.
   */
  async revoke(keys: readonly KeyRef[], ctx: OperationContext): Promise<RevokeResult[]> {
    const call = { deadline: ctx.deadline, meter: ctx.meter };
    const ids = keys.map((k) => k.id);
    const [only] = ids;
    if (ids.length === 1 && only !== undefined) {
      try {
        await this.client.deleteSecurityKey(only, call);
        return [{ id: only, outcome: 'deleted' }];
      } catch (err) {
        if (err instanceof NotFoundError) return [{ id: only, outcome: 'already_gone' }];
        throw err;
      }
    }
    if (ids.length === 0) return [];
    await this.client.deleteSecurityKeys(ids, call);
    return ids.map((id) => ({ id, outcome: 'deleted' as const }));
  }

  digest(input: DigestInput, ctx: OperationContext, logger: Logger): Promise<VendorDigest> {
    // The digest is a scheduled job held to a request budget, not a person waiting: its stale count reads one page
    // at a time, so no request is spent on pages past the cutoff.
    const sequential = {
      client: this.client,
      listStale: (q: StaleQuery, c: OperationContext) => this.scanStale(q, c, 1),
    };
    return idmelonDigest(sequential, input, ctx, logger);
  }
}
