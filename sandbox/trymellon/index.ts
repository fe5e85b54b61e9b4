import { randomBytes } from 'node:crypto';
import { type FaultRule, type SandboxRequest, type SandboxResponse, SandboxServer } from '../server.js';
import {
  generateTryMellonWorkspace,
  TryMellonActivity,
  type TryMellonSeedOptions,
  type TryMellonWorkspace,
} from './workspace.js';

export interface TryMellonSandboxOptions extends TryMellonSeedOptions {
  /** @default 'sandbox-trymellon-client' */
  clientId?: string;
  /** @default 'sandbox-trymellon-secret' */
  clientSecret?: string;
  /** Lifetime of issued tokens. @default 3600 */
  tokenTtlSeconds?: number;
  latencyMs?: number;
  port?: number;
}

export interface TryMellonSandbox {
  url: string;
  clientId: string;
  clientSecret: string;
  workspace: TryMellonWorkspace;
  /** Sign-ins, registrations, revocations and users added or deleted, each with its audit event. */
  activity: TryMellonActivity;
  server: SandboxServer;
  /** Tokens issued so far (tests check they are cached and refreshed). */
  tokensIssued(): number;
  /** Invalidates every token issued so far: the next call with one gets 401. */
  revokeTokens(): void;
  /** Key ids removed by DELETE, in order. */
  revocations: string[];
  inject(rule: FaultRule): void;
  close(): Promise<void>;
}

const ok = (data: unknown, status = 200): SandboxResponse => ({ status, body: { ok: true, data } });
const fail = (status: number, code: string, message: string): SandboxResponse => ({
  status,
  body: { ok: false, error: { code, message } },
});

/** Cursor lists: `limit` (default 50, max 100), `starting_after` = the id of the previous page's last item. */
function cursorPage<T extends { id: string }>(
  all: readonly T[],
  q: URLSearchParams,
): SandboxResponse | { data: T[]; has_more: boolean; next_cursor: string | null } {
  const limitRaw = q.get('limit');
  const limit = limitRaw === null ? 50 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    return fail(400, 'validation_error', 'limit must be an integer from 1 to 100');
  const after = q.get('starting_after');
  let start = 0;
  if (after !== null) {
    const i = all.findIndex((x) => x.id === after);
    if (i < 0) return fail(400, 'validation_error', 'starting_after is not a known cursor');
    start = i + 1;
  }
  const data = all.slice(start, start + limit);
  const has_more = start + limit < all.length;
  return { data, has_more, next_cursor: has_more ? (data.at(-1)?.id ?? null) : null };
}

/** The embedded TryMellon sandbox: OAuth2 client credentials, envelopes, cursor and page pagination. */
export async function startTryMellonSandbox(
  options: TryMellonSandboxOptions = {},
): Promise<TryMellonSandbox> {
  const workspace = generateTryMellonWorkspace(options);
  const activity = new TryMellonActivity(workspace);
  const clientId = options.clientId ?? 'sandbox-trymellon-client';
  const clientSecret = options.clientSecret ?? 'sandbox-trymellon-secret';
  const tokens = new Map<string, number>();
  let issued = 0;
  const revocations: string[] = [];
  const ttl = options.tokenTtlSeconds ?? 3600;

  const handle = (req: SandboxRequest): SandboxResponse => {
    const { method, path, query } = req;
    if (method === 'POST' && path === '/oauth/token') {
      const b = (req.body ?? {}) as Record<string, unknown>;
      if (b.grant_type !== 'client_credentials')
        return fail(400, 'validation_error', 'grant_type must be client_credentials');
      if (b.client_id !== clientId || b.client_secret !== clientSecret)
        return fail(401, 'unauthorized', 'invalid client credentials');
      const token = `tm_${randomBytes(16).toString('hex')}`;
      tokens.set(token, Date.now() + ttl * 1000);
      issued++;
      return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: ttl } };
    }
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const until = auth ? tokens.get(auth) : undefined;
    if (!until || until < Date.now()) return fail(401, 'unauthorized', 'missing or expired bearer token');

    if (method === 'GET' && path === '/v1/users') {
      const page = cursorPage(workspace.users, query);
      return 'status' in page ? page : ok(page);
    }
    let m = /^\/v1\/users\/([^/]+)\/credentials$/.exec(path);
    if (method === 'GET' && m) {
      const ext = decodeURIComponent(m[1] as string);
      if (!workspace.users.some((u) => u.external_user_id === ext))
        return fail(404, 'user_not_found', 'user not found');
      const page = Number(query.get('page') ?? 1);
      const limit = Number(query.get('limit') ?? 20);
      if (!Number.isInteger(page) || page < 1 || !Number.isInteger(limit) || limit < 1 || limit > 100) {
        return fail(400, 'validation_error', 'page must be ≥ 1 and limit from 1 to 100');
      }
      const mine = workspace.credentials.filter((c) => c.userExternalId === ext);
      const credentials = mine
        .slice((page - 1) * limit, page * limit)
        .map(({ userExternalId: _u, ...c }) => c);
      return ok({ credentials, pagination: { page, limit, total: mine.length } });
    }
    m = /^\/v1\/users\/([^/]+)\/credentials\/([^/]+)$/.exec(path);
    if (method === 'DELETE' && m) {
      const ext = decodeURIComponent(m[1] as string);
      const id = decodeURIComponent(m[2] as string);
      const c = workspace.credentials.find((x) => x.credential_id === id && x.userExternalId === ext);
      if (!c || c.status === 'revoked') return fail(404, 'credential_not_found', 'credential not found');
      activity.revoke(id);
      revocations.push(id);
      return { status: 204 };
    }
    m = /^\/v1\/users\/([^/]+)$/.exec(path);
    if (method === 'GET' && m) {
      const u = workspace.users.find((x) => x.external_user_id === decodeURIComponent(m?.[1] as string));
      return u ? ok({ ...u, updated_at: u.created_at }) : fail(404, 'user_not_found', 'user not found');
    }
    if (method === 'GET' && path === '/v1/audit-logs') {
      const event = query.get('event');
      const success = query.get('success');
      const filtered = workspace.events.filter(
        (e) => (event === null || e.event === event) && (success === null || String(e.success) === success),
      );
      const page = cursorPage(filtered, query);
      return 'status' in page ? page : ok(page);
    }
    if (method === 'GET' && path === '/v1/usage') {
      const period = query.get('period');
      if (!period || !/^\d{4}-\d{2}$/.test(period))
        return fail(400, 'validation_error', 'period must be YYYY-MM');
      const active = new Set(
        workspace.events.filter((e) => e.created_at.startsWith(period) && e.user_id).map((e) => e.user_id),
      ).size;
      const calls = workspace.events.filter((e) => e.created_at.startsWith(period)).length * 3;
      return ok({ tenant_id: 'sandbox-tenant', period, api_calls: calls, active_users: active });
    }
    return fail(404, 'not_found', `Cannot ${method} ${path}`);
  };

  const server = new SandboxServer(handle, { latencyMs: options.latencyMs });
  const url = await server.listen(options.port ?? 0);
  return {
    url,
    clientId,
    clientSecret,
    workspace,
    activity,
    server,
    tokensIssued: () => issued,
    revokeTokens: () => tokens.clear(),
    revocations,
    inject: (rule) => server.inject(rule),
    close: () => server.close(),
  };
}
