import type { InventoryChanges, InventorySource, RangeRead, SyncRange } from '../../domain/inventory.js';
import type { Key, OperationContext, UserSummary } from '../../domain/provider.js';
import { NotFoundError } from '../../http/errors.js';
import { paginateCursor } from '../../http/paginate.js';
import { mapLimit } from '../../util/concurrency.js';
import {
  advanceFeedCursor,
  decodeFeedCursor,
  encodeFeedCursor,
  type FeedEvent,
  readFrom,
} from '../feed-cursor.js';
import { TRYMELLON_MAX_LIMIT, type TryMellonClient } from './client.js';
import { auditPages } from './digest.js';
import { TRYMELLON } from './info.js';
import { toKey, toUser, userCredentials } from './provider.js';
import type { AuditEvent, TryMellonUser } from './schemas.js';

/** Events after which a user's passkeys are read again: each changes a passkey's last use, existence or status. */
const CREDENTIAL_EVENTS = new Set([
  'auth.success',
  'passkey.registered',
  'credential.revoked',
  'credential.lockout',
  'attestation.credential.blocked',
  'user.created',
]);

export interface TryMellonInventoryOptions {
  /** Users whose passkeys are read at once. @default 8 */
  concurrency?: number;
}

/**
 * How TryMellon's passkeys and users are read into the inventory. The inventory holds active passkeys only, as stale
 * scans do.
 *
 * Full sync: TryMellon lists no passkeys across users, so each range is one page of users by cursor with every one
 * of their passkeys (1 + 100 requests), and names the next page as the following range. Refresh: the audit log from
 * the top down to the cursor names the users touched since; only their passkeys are read again (one request each),
 * and a deleted user is reported gone. What the audit log cannot show is written beside `auditEventSchema`.
 *
 * Audit events know a user by TryMellon's id, the credentials endpoint by the external id: the source remembers the
 * pairs it has seen (every full sync range, every users page) and reads the users list only for an id it has not.
 */
export class TryMellonInventory implements InventorySource {
  readonly vendor = TRYMELLON.id;
  /** TryMellon user id → external user id, for as long as this process lives. */
  private readonly externalIds = new Map<string, string>();

  constructor(
    private readonly client: TryMellonClient,
    private readonly options: TryMellonInventoryOptions = {},
  ) {}

  /** The newest audit events (one request); an empty log gives a cursor at its start. */
  async cursorNow(ctx: OperationContext): Promise<string> {
    const page = await this.client.auditLogs(
      { limit: TRYMELLON_MAX_LIMIT },
      { deadline: ctx.deadline, meter: ctx.meter },
    );
    return encodeFeedCursor(advanceFeedCursor({ seen: [] }, page.data.data.map(feedEvent)));
  }

  /** The first page of users: the rest are found page by page, each range naming the next. */
  async planFullSync(_ctx: OperationContext): Promise<SyncRange[]> {
    return [{ id: 'users:', kind: 'all' }];
  }

  async readRange(range: SyncRange, ctx: OperationContext): Promise<RangeRead> {
    const after = typeof range.start === 'string' ? range.start : undefined;
    const page = await this.client.listUsers(
      { limit: TRYMELLON_MAX_LIMIT, ...(after ? { starting_after: after } : {}) },
      { deadline: ctx.deadline, meter: ctx.meter },
    );
    for (const u of page.data.data) this.externalIds.set(u.id, u.external_user_id);
    const people: UserSummary[] = [];
    const keys: Key[] = [];
    await mapLimit(page.data.data, this.options.concurrency ?? 8, async (u) => {
      const read = await this.activeKeys(u.external_user_id, ctx);
      // Deleted between the users page and its passkeys: left out, as the listing would now leave it out.
      if (read === undefined) return;
      people.push(toUser(u));
      keys.push(...read);
    });
    const cursor = page.data.has_more ? page.data.next_cursor : undefined;
    return {
      keys,
      people,
      ...(cursor ? { next: { id: `users:${cursor}`, kind: 'all' as const, start: cursor } } : {}),
    };
  }

  async changesSince(cursor: string, ctx: OperationContext): Promise<InventoryChanges> {
    const previous = decodeFeedCursor(cursor);
    const from = readFrom(previous);
    const read: AuditEvent[] = [];
    for await (const page of auditPages(this.client, ctx)) {
      let past = false;
      for (const e of page.items) {
        if (from !== undefined && new Date(e.created_at).toISOString() < from) {
          past = true;
          break;
        }
        read.push(e);
      }
      if (past) break;
    }
    const next = encodeFeedCursor(advanceFeedCursor(previous, read.map(feedEvent)));
    const seen = new Set(previous.seen);
    const fresh = read.filter((e) => !seen.has(e.id) && e.user_id);

    const deleted = new Set(fresh.filter((e) => e.event === 'user.deleted').map((e) => e.user_id as string));
    const touched = new Set(
      fresh
        .filter((e) => CREDENTIAL_EVENTS.has(e.event) && !deleted.has(e.user_id as string))
        .map((e) => e.user_id as string),
    );
    const created = new Set(fresh.filter((e) => e.event === 'user.created').map((e) => e.user_id as string));

    // A deleted user is no longer in the users list, so only the ids already known can be named.
    const removedPeople = [...deleted].flatMap((id) => {
      const ext = this.externalIds.get(id);
      return ext ? [ext] : [];
    });
    const profiles = await this.resolve([...touched], ctx);
    const keys: Key[] = [];
    const people: UserSummary[] = [];
    // A deleted user's passkeys went with them: read again as none.
    const ownersReread: string[] = [...removedPeople];
    await mapLimit([...touched], this.options.concurrency ?? 8, async (id) => {
      const ext = this.externalIds.get(id);
      // Not in the users list: deleted since (its `user.deleted` erased by the cascade); the full sync removes it.
      if (!ext) return;
      const read = await this.activeKeys(ext, ctx);
      ownersReread.push(ext);
      if (read === undefined) {
        removedPeople.push(ext);
        return;
      }
      keys.push(...read);
      if (!created.has(id)) return;
      const profile = profiles.get(id) ?? (await this.profile(ext, ctx));
      if (profile) people.push(toUser(profile));
    });
    return { keys, removedKeys: [], ownersReread, people, removedPeople, cursor: next };
  }

  /**
   * Makes sure every id is matched to its external id, reading the users list (stopping once all are found) when
   * one is not known yet. Returns the users the walk read, for the profiles of users just created.
   */
  private async resolve(ids: readonly string[], ctx: OperationContext): Promise<Map<string, TryMellonUser>> {
    const read = new Map<string, TryMellonUser>();
    const missing = new Set(ids.filter((id) => !this.externalIds.has(id)));
    if (missing.size === 0) return read;
    const call = { deadline: ctx.deadline, meter: ctx.meter };
    for await (const page of paginateCursor(async (after) => {
      const res = await this.client.listUsers({ limit: TRYMELLON_MAX_LIMIT, starting_after: after }, call);
      return { items: res.data.data, hasMore: res.data.has_more, nextCursor: res.data.next_cursor };
    })) {
      for (const u of page.items) {
        this.externalIds.set(u.id, u.external_user_id);
        read.set(u.id, u);
        missing.delete(u.id);
      }
      if (missing.size === 0) break;
    }
    return read;
  }

  /** A user's active passkeys; undefined when the user no longer exists. */
  private async activeKeys(externalUserId: string, ctx: OperationContext): Promise<Key[] | undefined> {
    try {
      const creds = await userCredentials(this.client, externalUserId, ctx);
      return creds.filter((c) => c.status === 'active').map((c) => toKey(externalUserId, c));
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  private async profile(externalUserId: string, ctx: OperationContext): Promise<TryMellonUser | undefined> {
    try {
      return (await this.client.getUser(externalUserId, { deadline: ctx.deadline, meter: ctx.meter })).data;
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }
}

function feedEvent(e: AuditEvent): FeedEvent {
  return { id: e.id, at: new Date(e.created_at).toISOString() };
}
