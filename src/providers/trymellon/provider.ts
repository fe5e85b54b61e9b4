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
import { paginateCursor } from '../../http/paginate.js';
import type { Logger } from '../../log.js';
import { mapLimit } from '../../util/concurrency.js';
import { TRYMELLON_MAX_LIMIT, type TryMellonClient } from './client.js';
import { auditPages, trymellonDigest } from './digest.js';
import { TRYMELLON } from './info.js';
import type { Credential, TryMellonUser } from './schemas.js';

/** Audit log pages read to find a user's recent events (there is no user filter). */
const EVENT_PAGES_FOR_LOOKUP = 5;

export interface TryMellonProviderOptions {
  /** Users whose passkeys are read at once during a scan. @default 8 */
  concurrency?: number;
}

export function toKey(externalUserId: string, c: Credential): Key {
  return {
    vendor: TRYMELLON.id,
    id: c.credential_id,
    name: c.alias ?? '(unnamed passkey)',
    type: 'passkey',
    owner: {
      id: externalUserId,
      email: externalUserId.includes('@') ? externalUserId : undefined,
      name: externalUserId,
    },
    lastUsedAt: c.last_used_at ? new Date(c.last_used_at).toISOString() : null,
    createdAt: c.created_at ? new Date(c.created_at).toISOString() : undefined,
    uses: null,
    status: c.status,
  };
}

export function toUser(u: TryMellonUser): UserSummary {
  return {
    vendor: TRYMELLON.id,
    id: u.external_user_id,
    email: u.external_user_id.includes('@') ? u.external_user_id : undefined,
    name: u.external_user_id,
    status: u.status ?? undefined,
  };
}

export class TryMellonProvider implements Provider {
  readonly vendor = TRYMELLON.id;
  readonly label = TRYMELLON.label;
  /** One DELETE per passkey; a batch is revoked a few at a time. */
  readonly revokeBatchSize = 10;
  readonly tracksUse = TRYMELLON.tracksUse;

  constructor(
    readonly client: TryMellonClient,
    private readonly options: TryMellonProviderOptions = {},
  ) {}

  /** All of one user's passkeys (the credentials list pages by page number). */
  credentials(externalUserId: string, ctx: OperationContext): Promise<Credential[]> {
    return userCredentials(this.client, externalUserId, ctx);
  }

  /**
   * Passkeys with `status: active` whose `last_used_at` is older than the cutoff (or missing). TryMellon has no
   * credential listing across users, so this walks users → credentials, a bounded number of users at a time.
   */
  async listStale(query: StaleQuery, ctx: OperationContext): Promise<StaleListing> {
    const cutoff = query.cutoff.getTime();
    const call = { deadline: ctx.deadline, meter: ctx.meter };
    const stale: Key[] = [];
    const neverUsed: Key[] = [];
    let usersSeen = 0;
    let activeTotal = 0;
    for await (const page of paginateCursor(async (cursor) => {
      const res = await this.client.listUsers({ limit: TRYMELLON_MAX_LIMIT, starting_after: cursor }, call);
      return { items: res.data.data, hasMore: res.data.has_more, nextCursor: res.data.next_cursor };
    })) {
      await mapLimit(page.items, this.options.concurrency ?? 8, async (user) => {
        for (const c of await this.credentials(user.external_user_id, ctx)) {
          if (c.status !== 'active') continue;
          activeTotal++;
          const k = toKey(user.external_user_id, c);
          if (query.type && k.type !== query.type) continue;
          if (!k.lastUsedAt) neverUsed.push(k);
          else if (Date.parse(k.lastUsedAt) < cutoff) stale.push(k);
        }
      });
      usersSeen += page.items.length;
      ctx.onProgress?.({ phase: 'reading users’ passkeys', done: usersSeen, requests: ctx.meter.requests });
    }
    stale.sort((a, b) => Date.parse(a.lastUsedAt as string) - Date.parse(b.lastUsedAt as string));
    return {
      stale,
      neverUsed,
      scan: 'full',
      inventory: { total: activeTotal, byType: { passkey: activeTotal } },
    };
  }

  /** TryMellon knows users only by your `external_user_id`, so a lookup is exact. */
  async findUsers(query: string, ctx: OperationContext): Promise<UserSummary[]> {
    try {
      const res = await this.client.getUser(query.trim(), { deadline: ctx.deadline, meter: ctx.meter });
      return [toUser(res.data)];
    } catch (err) {
      if (err instanceof NotFoundError) return [];
      throw err;
    }
  }

  async userProfile(externalUserId: string, ctx: OperationContext): Promise<UserProfile> {
    const call = { deadline: ctx.deadline, meter: ctx.meter };
    const user = (await this.client.getUser(externalUserId, call)).data;
    const [credentials, events] = await Promise.all([
      this.credentials(externalUserId, ctx),
      this.recentEvents(user.id, ctx),
    ]);
    return {
      user: { ...toUser(user), createdAt: user.created_at ?? undefined },
      keys: credentials.map((c) => toKey(externalUserId, c)),
      passkeys: [],
      groups: [],
      events,
    };
  }

  /** The audit log, newest first, a page at a time (stop by breaking out). */
  auditPages(ctx: OperationContext) {
    return auditPages(this.client, ctx);
  }

  /** The user's events among the newest few pages of the audit log (it cannot be filtered by user). */
  private async recentEvents(userId: string, ctx: OperationContext) {
    const found: Array<{ at: string; event: string; success?: boolean }> = [];
    let pages = 0;
    for await (const page of this.auditPages(ctx)) {
      for (const e of page.items)
        if (e.user_id === userId)
          found.push({ at: e.created_at, event: e.event, success: e.success ?? undefined });
      if (++pages >= EVENT_PAGES_FOR_LOOKUP || found.length >= 10) break;
    }
    return found.slice(0, 10);
  }

  async currentKeys(
    refs: readonly KeyRef[],
    _hint: { cutoff?: Date },
    ctx: OperationContext,
  ): Promise<Map<string, Key | null>> {
    const found = new Map<string, Key | null>();
    const byOwner = new Map<string, KeyRef[]>();
    for (const r of refs) {
      if (!r.ownerId) found.set(r.id, null);
      else byOwner.set(r.ownerId, [...(byOwner.get(r.ownerId) ?? []), r]);
    }
    await mapLimit([...byOwner.entries()], this.options.concurrency ?? 8, async ([owner, owned]) => {
      let creds: Credential[] = [];
      try {
        creds = await this.credentials(owner, ctx);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      const active = new Map(creds.filter((c) => c.status === 'active').map((c) => [c.credential_id, c]));
      for (const r of owned) {
        const c = active.get(r.id);
        found.set(r.id, c ? toKey(owner, c) : null);
      }
    });
    return found;
  }

  /** `DELETE /v1/users/:external_user_id/credentials/:credential_id` (204); 404 means already gone. */
  async revoke(keys: readonly KeyRef[], ctx: OperationContext): Promise<RevokeResult[]> {
    const call = { deadline: ctx.deadline, meter: ctx.meter };
    return mapLimit(keys, 4, async (k): Promise<RevokeResult> => {
      if (!k.ownerId) return { id: k.id, outcome: 'failed', error: 'the owner of this passkey is unknown' };
      try {
        await this.client.revokeCredential(k.ownerId, k.id, call);
        return { id: k.id, outcome: 'deleted' };
      } catch (err) {
        if (err instanceof NotFoundError) return { id: k.id, outcome: 'already_gone' };
        throw err;
      }
    });
  }

  digest(input: DigestInput, ctx: OperationContext, logger: Logger): Promise<VendorDigest> {
    return trymellonDigest(this, input, ctx, logger);
  }
}

/** All of one user's passkeys, active and revoked (the credentials list pages by page number). */
export async function userCredentials(
  client: TryMellonClient,
  externalUserId: string,
  ctx: OperationContext,
): Promise<Credential[]> {
  const call = { deadline: ctx.deadline, meter: ctx.meter };
  const all: Credential[] = [];
  for (let page = 1; ; page++) {
    const res = await client.listCredentials(externalUserId, { page, limit: TRYMELLON_MAX_LIMIT }, call);
    all.push(...res.data.credentials);
    const { total } = res.data.pagination;
    if (res.data.credentials.length === 0 || all.length >= total) return all;
  }
}
