import { type Clock, systemClock } from '../../domain/clock.js';
import type { OperationContext, UserSummary } from '../../domain/provider.js';
import { collectSkipParallel } from '../../http/paginate.js';
import type { IdmelonClient } from './client.js';
import { toUser } from './mapping.js';

export interface DirectoryOptions {
  /** How long a fetched users list is trusted. @default 300_000 (5 minutes) */
  ttlMs?: number;
  /** A miss on a list older than this triggers one re-fetch (a user added since). @default 30_000 */
  missRefreshMs?: number;
  /** Pages in flight while loading. @default 16 */
  concurrency?: number;
  /** Time, for TTLs and leases. @default the system clock */
  clock?: Clock;
}

/**
 * The workspace's users, cached per process. IDmelon documents no user search, so a lookup reads the users list;
 * a warm Lambda container (or the local server) answers from memory. Concurrent lookups share one load.
 */
export class UserDirectory {
  private users: UserSummary[] | undefined;
  private loadedAt = 0;
  private loading: Promise<UserSummary[]> | undefined;
  private readonly ttlMs: number;
  private readonly missRefreshMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: IdmelonClient,
    private readonly options: DirectoryOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 300_000;
    this.missRefreshMs = options.missRefreshMs ?? 30_000;
    const clock = options.clock ?? systemClock;
    this.now = () => clock.now().getTime();
  }

  /** Users matching `predicate`; on a miss with a list older than `missRefreshMs`, the list is re-read once. */
  async find(predicate: (u: UserSummary) => boolean, ctx: OperationContext): Promise<UserSummary[]> {
    let users = await this.get(ctx);
    let found = users.filter(predicate);
    if (found.length === 0 && this.now() - this.loadedAt > this.missRefreshMs) {
      users = await this.get(ctx, true);
      found = users.filter(predicate);
    }
    return found;
  }

  private get(ctx: OperationContext, force = false): Promise<UserSummary[]> {
    if (!force && this.users && this.now() - this.loadedAt < this.ttlMs) return Promise.resolve(this.users);
    if (!this.loading) {
      this.loading = this.load(ctx).finally(() => {
        this.loading = undefined;
      });
    }
    return this.loading;
  }

  private async load(ctx: OperationContext): Promise<UserSummary[]> {
    const call = { deadline: ctx.deadline, meter: ctx.meter };
    const { items } = await collectSkipParallel(
      async (skip, limit, signal) => {
        const page = await this.client.listUsers({ limit, skip }, { ...call, signal });
        return { items: page.data, total: page.total, skip, limit: page.limit };
      },
      {
        limit: 100,
        concurrency: this.options.concurrency ?? 16,
        onPage: (done, total) =>
          ctx.onProgress?.({ phase: 'reading users', done, total, requests: ctx.meter.requests }),
      },
    );
    this.users = items.map(toUser);
    this.loadedAt = this.now();
    return this.users;
  }
}
