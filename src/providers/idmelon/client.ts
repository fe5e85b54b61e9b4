import type { CallOptions, JsonClient } from '../../http/json-client.js';
import { paginateSkip } from '../../http/paginate.js';
import { pathSegment } from '../../http/path.js';
import {
  apiKeyListSchema,
  groupListSchema,
  logListSchema,
  messageSchema,
  passkeyListSchema,
  type SecurityKey,
  securityKeyListSchema,
  statisticsSchema,
  userListSchema,
  userSchema,
} from './schemas.js';

export const IDMELON_REGIONS = {
  us: 'https://skm.idmelon.com',
  eu: 'https://skm.eu.idmelon.com',
} as const;

/** IDmelon's `status` for active security keys (the Security Keys page's first tab). */
export const KEY_STATUS_ACTIVE = 20;
/** Activity log action for an authentication (sign-in). */
export const ACTION_AUTHENTICATION = 2;

const id = pathSegment;

export type StatisticsKind = 'users' | 'securitykeys' | 'groups' | 'login';

/** Thin typed wrapper over the documented paths; retries, auth and validation live in JsonClient. */
export class IdmelonClient {
  constructor(readonly http: JsonClient) {}

  listSecurityKeys(
    q: {
      status?: number;
      sort?: 'lastActivity,ascend' | 'lastActivity,descend';
      limit: number;
      skip: number;
    },
    call?: CallOptions,
  ) {
    return this.http.request(
      { method: 'GET', path: '/administrator/securityDevice', query: q },
      securityKeyListSchema,
      call,
    );
  }

  listUsers(q: { limit: number; skip: number }, call?: CallOptions) {
    return this.http.request(
      { method: 'GET', path: '/administrator/tokens/v2', query: q },
      userListSchema,
      call,
    );
  }

  getUser(userId: string, call?: CallOptions) {
    return this.http.request(
      { method: 'GET', path: `/administrator/tokens/${id(userId)}` },
      userSchema,
      call,
    );
  }

  userSecurityKeys(userId: string, q: { limit: number; skip: number }, call?: CallOptions) {
    return this.http.request(
      { method: 'GET', path: `/administrator/tokens/userInfo/${id(userId)}/securitykeys/v2`, query: q },
      securityKeyListSchema,
      call,
    );
  }

  /** Every key one user owns, page by page. */
  async allUserSecurityKeys(userId: string, call?: CallOptions): Promise<SecurityKey[]> {
    const all: SecurityKey[] = [];
    for await (const page of paginateSkip<SecurityKey>(async (skip, limit) => {
      const p = await this.userSecurityKeys(userId, { limit, skip }, call);
      return { items: p.data, total: p.total, skip, limit: p.limit };
    })) {
      all.push(...page.items);
    }
    return all;
  }

  userPasskeys(userId: string, call?: CallOptions) {
    return this.http.request(
      { method: 'GET', path: `/administrator/tokens/${id(userId)}/credentials`, query: { limit: 100 } },
      passkeyListSchema,
      call,
    );
  }

  groups(q: { userId?: string; limit?: number }, call?: CallOptions) {
    return this.http.request(
      { method: 'GET', path: '/administrator/groups', query: q },
      groupListSchema,
      call,
    );
  }

  activityLogs(
    q: { action?: number; rp?: string; from?: string; to?: string; limit: number; skip: number },
    call?: CallOptions,
  ) {
    return this.http.request(
      { method: 'GET', path: '/administrator/workspace/activity/logs', query: q },
      logListSchema,
      call,
    );
  }

  statistics(kind: StatisticsKind, q: { timezone?: string }, call?: CallOptions) {
    return this.http.request(
      { method: 'GET', path: `/administrator/statistics/${kind}`, query: q },
      statisticsSchema,
      call,
    );
  }

  workspaceApiKeys(call?: CallOptions) {
    return this.http.request(
      { method: 'GET', path: '/administrator/workspace/api-keys' },
      apiKeyListSchema,
      call,
    );
  }

  /** `GET /users`: the workspace and user behind the API key; a cheap credential check. */
  whoami(call?: CallOptions) {
    return this.http.request({ method: 'GET', path: '/users' }, statisticsSchema, call);
  }

  /** The docs send the id twice: in the path and as `_id` in the query. */
  deleteSecurityKey(keyId: string, call?: CallOptions) {
    return this.http.request(
      { method: 'DELETE', path: `/administrator/securityDevice/${id(keyId)}`, query: { _id: keyId } },
      messageSchema,
      call,
    );
  }

  /** Bulk delete: the collection path with its trailing slash, ids in `_ids`. */
  deleteSecurityKeys(keyIds: string[], call?: CallOptions) {
    return this.http.request(
      { method: 'DELETE', path: '/administrator/securityDevice/', body: { _ids: keyIds } },
      messageSchema,
      call,
    );
  }
}
