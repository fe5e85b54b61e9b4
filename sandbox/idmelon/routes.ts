import type { SandboxRequest, SandboxResponse } from '../server.js';
import type { IdmelonWorkspace, SandboxKey, SandboxLog, SandboxUser } from './workspace.js';

export interface IdmelonRouteOptions {
  /** The largest page the sandbox serves, echoed back as `limit` (real servers cap page sizes). @default 100 */
  pageCap: number;
  /** Ignore `sort` and answer in storage order, to exercise the client's out-of-order fallback. */
  brokenSort: boolean;
}

const notFound = (message: string): SandboxResponse => ({ status: 404, body: { message } });
const badRequest = (message: string): SandboxResponse => ({ status: 400, body: { message } });

function intParam(q: URLSearchParams, name: string, fallback: number): number | undefined {
  const raw = q.get(name);
  if (raw === null) return fallback;
  return /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/** Sorts by last use with never-used keys first on ascend, as MongoDB orders a missing field before any value. */
function compareLastUse(a: SandboxKey, b: SandboxKey): number {
  const ta = a.lastActivityAt ?? '';
  const tb = b.lastActivityAt ?? '';
  return ta < tb ? -1 : ta > tb ? 1 : a._id < b._id ? -1 : a._id > b._id ? 1 : 0;
}

export class IdmelonRoutes {
  private readonly usersById = new Map<string, SandboxUser>();
  /** Derived views, dropped whenever keys are deleted. */
  private sortedCache = new Map<string, { keys: SandboxKey[]; statistics: Record<string, number> }>();
  private userCounters: Record<string, number> | undefined;
  /** Every key id actually removed, in order: lets tests prove no key was deleted twice. */
  readonly deletions: string[] = [];
  private added = 0;

  constructor(
    readonly workspace: IdmelonWorkspace,
    readonly options: IdmelonRouteOptions,
  ) {
    for (const u of workspace.users) this.usersById.set(u._id, u);
  }

  handle(req: SandboxRequest): SandboxResponse {
    const { method, path, query } = req;
    if (method === 'GET' && path === '/users') return this.whoami();
    if (method === 'GET' && path === '/administrator/securityDevice') return this.listKeys(query);
    if (method === 'DELETE' && path === '/administrator/securityDevice/') return this.deleteMany(req.body);
    let m = /^\/administrator\/securityDevice\/([^/]+)$/.exec(path);
    if (method === 'DELETE' && m) return this.deleteOne(decodeURIComponent(m[1] as string), query);
    if (method === 'GET' && path === '/administrator/tokens/v2') return this.listUsers(query);
    m = /^\/administrator\/tokens\/userInfo\/([^/]+)\/securitykeys\/v2$/.exec(path);
    if (method === 'GET' && m) return this.userKeys(decodeURIComponent(m[1] as string), query);
    m = /^\/administrator\/tokens\/([^/]+)\/credentials$/.exec(path);
    if (method === 'GET' && m) return this.userPasskeys(decodeURIComponent(m[1] as string), query);
    m = /^\/administrator\/tokens\/([^/]+)$/.exec(path);
    if (method === 'GET' && m) return this.user(decodeURIComponent(m[1] as string));
    if (method === 'GET' && path === '/administrator/groups') return this.listGroups(query);
    if (method === 'GET' && path === '/administrator/workspace/activity/logs') return this.listLogs(query);
    m = /^\/administrator\/statistics\/(users|securitykeys|groups|login)$/.exec(path);
    if (method === 'GET' && m) return this.statistics(m[1] as string, query);
    if (method === 'GET' && path === '/administrator/workspace/api-keys') return this.apiKeys();
    return notFound(`Cannot ${method} ${path}`);
  }

  /** Slices a list the way IDmelon pages: `skip`/`limit`, `limit` capped and echoed, `total` before slicing. */
  private page<T>(
    all: readonly T[],
    q: URLSearchParams,
  ): { data: T[]; skip: number; limit: number; total: number } | SandboxResponse {
    const skip = intParam(q, 'skip', 0);
    const asked = intParam(q, 'limit', 10);
    if (skip === undefined) return badRequest('skip must be a non-negative integer');
    if (asked === undefined) return badRequest('limit must be a non-negative integer');
    const limit = Math.min(asked, this.options.pageCap);
    return { data: all.slice(skip, skip + limit), skip, limit, total: all.length };
  }

  private whoami(): SandboxResponse {
    return {
      status: 200,
      body: {
        workspace: { _id: 'sandbox-workspace', name: 'Acme (Keywarden sandbox)' },
        user: { email: 'keywarden-bot@acme.example', role: 'Admin' },
      },
    };
  }

  private keyJson(k: SandboxKey) {
    const owner = this.usersById.get(k.ownerId);
    return {
      _id: k._id,
      name: k.name,
      type: k.type,
      status: k.status,
      token: { _id: k.ownerId, owner: owner?.email, name: owner?.name },
      ...(k.lastActivityAt ? { lastActivity: { createdAt: k.lastActivityAt } } : {}),
      totalActivities: k.totalActivities,
      hasOfflineAccess: k.hasOfflineAccess,
      proximity: k.proximity,
      verification: k.verification,
      isBlocked: k.isBlocked,
      createdAt: k.createdAt,
    };
  }

  private sortedKeys(status: number | undefined, sort: string | null) {
    const cacheKey = `${status}|${sort}`;
    const hit = this.sortedCache.get(cacheKey);
    if (hit) return hit;
    let keys = this.workspace.keys.filter((k) => status === undefined || k.status === status);
    if (!this.options.brokenSort && sort === 'lastActivity,ascend') keys = keys.sort(compareLastUse);
    if (!this.options.brokenSort && sort === 'lastActivity,descend')
      keys = keys.sort((a, b) => compareLastUse(b, a));
    const statistics: Record<string, number> = {};
    for (const k of keys) statistics[k.type] = (statistics[k.type] ?? 0) + 1;
    const view = { keys, statistics };
    this.sortedCache.set(cacheKey, view);
    return view;
  }

  private listKeys(q: URLSearchParams): SandboxResponse {
    const sort = q.get('sort');
    if (sort !== null && sort !== 'lastActivity,ascend' && sort !== 'lastActivity,descend') {
      return badRequest(`unsupported sort "${sort}" (use lastActivity,ascend or lastActivity,descend)`);
    }
    const statusRaw = q.get('status');
    const status = statusRaw === null ? undefined : Number(statusRaw);
    const { keys, statistics } = this.sortedKeys(status, sort);
    const page = this.page(keys, q);
    if ('status' in page) return page;
    return {
      status: 200,
      body: {
        ...page,
        data: page.data.map((k) => this.keyJson(k)),
        statistics,
        filters: { status: status ?? null, sort },
      },
    };
  }

  private removeKeys(ids: ReadonlySet<string>): number {
    const before = this.workspace.keys.length;
    this.workspace.keys = this.workspace.keys.filter((k) => {
      if (!ids.has(k._id)) return true;
      this.deletions.push(k._id);
      return false;
    });
    this.invalidate();
    return before - this.workspace.keys.length;
  }

  private invalidate(): void {
    this.sortedCache = new Map();
    this.userCounters = undefined;
  }

  /**
   * Someone authenticates with a key at `at`: the activity logs gain the entry (kept newest first) and the key's
   * last use moves to `at` when that is later, as IDmelon feeds `lastActivity` from the logs.
   */
  useKey(
    id: string,
    at: Date,
    rp: { name: string; id: string } = { name: 'Microsoft', id: 'login.microsoftonline.com' },
  ): void {
    const key = this.workspace.keys.find((k) => k._id === id);
    if (!key) throw new Error(`no key ${id} in the sandbox`);
    const owner = this.usersById.get(key.ownerId);
    const createdAt = at.toISOString();
    if (!key.lastActivityAt || key.lastActivityAt < createdAt) key.lastActivityAt = createdAt;
    key.totalActivities++;
    const entry: SandboxLog = {
      _id: this.nextId(),
      createdAt,
      action: 2,
      status: 1,
      rpInfo: rp,
      userInfo: { name: owner?.email ?? '', displayName: owner?.name ?? '' },
      ownerId: owner?.email ?? '',
      deviceName: key.name,
      securityKeyDevice: key._id,
    };
    const logs = this.workspace.logs;
    const place = logs.findIndex((l) => l.createdAt <= createdAt);
    logs.splice(place < 0 ? logs.length : place, 0, entry);
    this.invalidate();
  }

  /** A key enrolled for a user: active (status 20) and never used unless `fields` say otherwise. */
  addKey(ownerId: string, fields: Partial<Omit<SandboxKey, '_id' | 'ownerId'>> = {}): SandboxKey {
    if (!this.usersById.has(ownerId)) throw new Error(`no user ${ownerId} in the sandbox`);
    const key: SandboxKey = {
      _id: this.nextId(),
      name: 'New badge',
      type: 'badge',
      status: 20,
      ownerId,
      lastActivityAt: null,
      totalActivities: 0,
      hasOfflineAccess: false,
      isBlocked: false,
      proximity: false,
      verification: 'pin',
      createdAt: this.workspace.now.toISOString(),
      ...fields,
    };
    this.workspace.keys.push(key);
    this.invalidate();
    return key;
  }

  /** A key deleted outside Keywarden (the Admin Panel): gone from every listing, with no log entry. */
  revokeKey(id: string): void {
    if (this.removeKeys(new Set([id])) === 0) throw new Error(`no key ${id} in the sandbox`);
  }

  /** A user added to the workspace (by SCIM or the Admin Panel), with no keys yet. */
  addUser(fields: Partial<Omit<SandboxUser, '_id'>> = {}): SandboxUser {
    const n = this.workspace.users.length;
    const user: SandboxUser = {
      _id: this.nextId(),
      email: `new.user${n}@acme.example`,
      name: `New User ${n}`,
      status: 'active',
      createdAt: this.workspace.now.toISOString(),
      groupIds: [],
      ...fields,
    };
    this.workspace.users.push(user);
    this.usersById.set(user._id, user);
    this.invalidate();
    return user;
  }

  /** Ids for what tests add: ObjectId-shaped, distinct from the generated ones, the same from run to run. */
  private nextId(): string {
    return (0xe0000000 + this.added++).toString(16).padStart(24, '0');
  }

  private deleteOne(id: string, q: URLSearchParams): SandboxResponse {
    if (q.get('_id') !== id) return badRequest('_id query parameter must repeat the key id');
    if (!this.workspace.keys.some((k) => k._id === id)) return notFound('Security key not found');
    this.removeKeys(new Set([id]));
    return { status: 200, body: { message: "The user's security key has been successfully deleted." } };
  }

  private deleteMany(body: unknown): SandboxResponse {
    const ids = (body as { _ids?: unknown } | undefined)?._ids;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((i) => typeof i === 'string')) {
      return badRequest('_ids must be a non-empty array of key ids');
    }
    this.removeKeys(new Set(ids as string[]));
    return { status: 200, body: { message: 'The selected security keys have been successfully deleted.' } };
  }

  private userJson(u: SandboxUser) {
    return {
      _id: u._id,
      owner: u.email,
      email: u.email,
      name: u.name,
      status: u.status,
      createdAt: u.createdAt,
    };
  }

  private listUsers(q: URLSearchParams): SandboxResponse {
    const page = this.page(this.workspace.users, q);
    if ('status' in page) return page;
    return {
      status: 200,
      body: { ...page, data: page.data.map((u) => this.userJson(u)), details: this.counters() },
    };
  }

  /** The All Users page counters, as the users list's `details`. */
  private counters(): Record<string, number> {
    if (this.userCounters) return this.userCounters;
    const withKeys = new Set(this.workspace.keys.map((k) => k.ownerId));
    const count = (s: SandboxUser['status']) => this.workspace.users.filter((u) => u.status === s).length;
    this.userCounters = {
      activeTokens: count('active'),
      pendingTokens: count('pending'),
      blockTokens: count('blocked'),
      notInvitedTokens: count('notInvited'),
      noDeviceTokens: this.workspace.users.filter((u) => !withKeys.has(u._id)).length,
    };
    return this.userCounters;
  }

  private user(id: string): SandboxResponse {
    const u = this.usersById.get(id);
    if (!u) return notFound('User not found');
    return { status: 200, body: { ...this.userJson(u), groups: u.groupIds.length } };
  }

  private userKeys(id: string, q: URLSearchParams): SandboxResponse {
    if (!this.usersById.has(id)) return notFound('User not found');
    const page = this.page(
      this.workspace.keys.filter((k) => k.ownerId === id),
      q,
    );
    if ('status' in page) return page;
    return { status: 200, body: { ...page, data: page.data.map((k) => this.keyJson(k)) } };
  }

  private userPasskeys(id: string, q: URLSearchParams): SandboxResponse {
    if (!this.usersById.has(id)) return notFound('User not found');
    const page = this.page(
      this.workspace.passkeys.filter((p) => p.userId === id),
      q,
    );
    if ('status' in page) return page;
    return { status: 200, body: page };
  }

  private listGroups(q: URLSearchParams): SandboxResponse {
    const userId = q.get('userId');
    let groups = this.workspace.groups;
    if (userId !== null) {
      const u = this.usersById.get(userId);
      groups = u ? groups.filter((g) => u.groupIds.includes(g._id)) : [];
    }
    const page = this.page(groups, q);
    if ('status' in page) return page;
    return { status: 200, body: page };
  }

  /** Logs are newest first; `from`/`to` are inclusive; `rp` matches the relying party's name or domain. */
  private filterLogs(q: URLSearchParams): SandboxLog[] | SandboxResponse {
    const action = q.get('action');
    const rp = q.get('rp')?.toLowerCase();
    const from = q.get('from');
    const to = q.get('to');
    for (const [name, v] of [
      ['from', from],
      ['to', to],
    ] as const) {
      if (v !== null && Number.isNaN(Date.parse(v))) return badRequest(`${name} must be an ISO 8601 date`);
    }
    const fromIso = from === null ? null : new Date(from).toISOString();
    const toIso = to === null ? null : new Date(to).toISOString();
    return this.workspace.logs.filter(
      (l) =>
        (action === null || l.action === Number(action)) &&
        (rp === undefined || l.rpInfo.name.toLowerCase() === rp || l.rpInfo.id.toLowerCase() === rp) &&
        (fromIso === null || l.createdAt >= fromIso) &&
        (toIso === null || l.createdAt <= toIso),
    );
  }

  private listLogs(q: URLSearchParams): SandboxResponse {
    const logs = this.filterLogs(q);
    if (!Array.isArray(logs)) return logs;
    const page = this.page(logs, q);
    if ('status' in page) return page;
    return { status: 200, body: page };
  }

  private statistics(kind: string, q: URLSearchParams): SandboxResponse {
    const tz = q.get('timezone');
    if (tz !== null) {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
      } catch {
        return badRequest(`unknown timezone "${tz}"`);
      }
    }
    const w = this.workspace;
    const byStatus = (s: SandboxUser['status']) => w.users.filter((u) => u.status === s).length;
    switch (kind) {
      case 'users':
        return {
          status: 200,
          body: {
            totalUsers: w.users.length,
            activeUsers: byStatus('active'),
            pendingUsers: byStatus('pending'),
            blockedUsers: byStatus('blocked'),
          },
        };
      case 'securitykeys':
        return {
          status: 200,
          body: {
            totalSecurityKeys: w.keys.length,
            activeSecurityKeys: w.keys.filter((k) => k.status === 20).length,
            pendingSecurityKeys: w.keys.filter((k) => k.status === 30).length,
            offlineAccessKeys: w.keys.filter((k) => k.hasOfflineAccess).length,
          },
        };
      case 'groups':
        return {
          status: 200,
          body: {
            totalGroups: w.groups.length,
            usersInGroups: w.users.filter((u) => u.groupIds.length > 0).length,
          },
        };
      default: {
        const since = new Date(w.now.getTime() - 7 * 86_400_000).toISOString();
        const week = w.logs.filter((l) => l.action === 2 && l.createdAt >= since);
        return {
          status: 200,
          body: {
            loginsLast7Days: week.length,
            failedLoginsLast7Days: week.filter((l) => l.status !== 1).length,
            timezone: tz ?? 'UTC',
          },
        };
      }
    }
  }

  private apiKeys(): SandboxResponse {
    const data = this.workspace.apiKeys;
    return { status: 200, body: { data, total: data.length, skip: 0, limit: data.length } };
  }
}
