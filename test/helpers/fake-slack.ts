import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { type Block, blockLimitViolations, viewLimitViolations } from '../../src/blocks/limits.js';

/**
 * A fake Slack on loopback: the Web API methods Keywarden calls, response_url endpoints with Slack's limits
 * (5 uses, 30 minutes), file uploads, a workspace directory (`users`) and modals (`views`). Every message is checked against Block Kit limits and refused with
 * `invalid_blocks` as Slack would, and every modal against Slack's view limits (`invalid_arguments`). Calls are
 * recorded; tests wait for them by predicate, not by sleeping.
 */
export interface SlackCall {
  method: string;
  token?: string;
  args: Record<string, unknown>;
  /** When the call arrived (performance.now()), for latency measurements. */
  at?: number;
}

export interface ResponseUrlPost {
  hook: string;
  body: Record<string, unknown>;
}

/** A workspace member of the fake's directory. */
export interface FakeUser {
  id: string;
  email?: string;
  /** A deactivated account. */
  deleted?: boolean;
  isBot?: boolean;
}

/** Slack's cap on a users.list page. */
const MAX_USERS_PAGE = 1000;

interface Waiter {
  test: () => boolean;
  resolve: () => void;
}

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly responses: ResponseUrlPost[] = [];
  readonly uploads = new Map<string, { content: string; filename?: string }>();
  readonly groups = new Map<string, string[]>();
  /** The workspace's members, in users.list order. */
  readonly users: FakeUser[] = [];
  /** Each user's Home tab, as last published. */
  readonly homes = new Map<string, Record<string, unknown>>();
  /** Open modals by view id, as last opened or updated. */
  readonly views = new Map<string, Record<string, unknown>>();
  /** The view each trigger_id opened. */
  private viewByTrigger = new Map<string, string>();
  private hookUses = new Map<string, number>();
  private expiredHooks = new Set<string>();
  private failures: Array<{ method: string; error: string; times: number; retryAfter?: number }> = [];
  private waiters: Waiter[] = [];
  private server: Server | undefined;
  private nextTs = 1;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.serve(req, res).catch((err: unknown) => res.writeHead(500).end(String(err)));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** A fresh response_url, as Slack puts in each command and button payload. */
  responseUrl(id = `hook-${Math.random().toString(36).slice(2)}`): string {
    return `${this.url}/hooks/${id}`;
  }

  expire(responseUrl: string): void {
    this.expiredHooks.add(responseUrl.split('/hooks/')[1] ?? '');
  }

  /**
   * Adds `n` people to the directory, ids `U0000001`… after any already there, each with `emailOf(i)` (i from 0).
   * Returns the users added.
   */
  seedUsers(n: number, emailOf: (i: number) => string): FakeUser[] {
    const start = this.users.length;
    const added = Array.from({ length: n }, (_, i) => ({
      id: `U${String(start + i + 1).padStart(7, '0')}`,
      email: emailOf(i),
    }));
    this.users.push(...added);
    return added;
  }

  /**
   * The next `times` calls of `method` fail with `error`. `rate_limited` (or Slack's own spelling, `ratelimited`)
   * answers HTTP 429 with a Retry-After of `retryAfter` seconds (default 1), as Slack does; any other error is
   * an `ok: false` answer.
   */
  fail(method: string, error: string, times = 1, retryAfter?: number): void {
    this.failures.push({ method, error, times, retryAfter });
  }

  clearFailures(): void {
    this.failures = [];
  }

  callsOf(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** The modal a press opened, by the press's trigger_id: its id and the view as sent. */
  viewOpenedBy(triggerId: string): { id: string; view: Record<string, unknown> } | undefined {
    const id = this.viewByTrigger.get(triggerId);
    const view = id === undefined ? undefined : this.views.get(id);
    return id === undefined || view === undefined ? undefined : { id, view };
  }

  postsTo(responseUrl: string): Record<string, unknown>[] {
    const hook = responseUrl.split('/hooks/')[1];
    return this.responses.filter((r) => r.hook === hook).map((r) => r.body);
  }

  /** Resolves once `test` holds (checked after every request), or rejects after `timeoutMs`. */
  waitFor(test: () => boolean, timeoutMs = 10_000, what = 'the expected Slack calls'): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const waiter: Waiter = {
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  private settle(): void {
    for (const w of [...this.waiters]) {
      if (w.test()) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve();
      }
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const path = (req.url ?? '').split('?')[0] ?? '';
    try {
      if (path.startsWith('/hooks/')) return this.hook(path.slice('/hooks/'.length), raw, res);
      if (path.startsWith('/upload/')) {
        const id = path.slice('/upload/'.length);
        const entry = this.uploads.get(id);
        if (entry) entry.content = fileContent(raw, req.headers['content-type']);
        res.writeHead(200).end('OK - 1');
        return;
      }
      if (path.startsWith('/api/')) return this.api(path.slice('/api/'.length), req, raw, res);
      res.writeHead(404).end();
    } finally {
      this.settle();
    }
  }

  private hook(id: string, raw: Buffer, res: ServerResponse): void {
    const uses = (this.hookUses.get(id) ?? 0) + 1;
    this.hookUses.set(id, uses);
    if (this.expiredHooks.has(id)) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: false, error: 'expired_url' }));
      return;
    }
    if (uses > 5) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: false, error: 'used_url' }));
      return;
    }
    const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    const problems = blockLimitViolations((body.blocks as Block[] | undefined) ?? []);
    if (problems.length) {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: false, error: 'invalid_blocks', problems }));
      return;
    }
    this.responses.push({ hook: id, body });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  }

  private api(method: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const type = (req.headers['content-type'] ?? '').split(';')[0];
    const args: Record<string, unknown> =
      type === 'application/json'
        ? (JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>)
        : (parseQuery(raw.toString('utf8')) as Record<string, unknown>);
    for (const k of ['blocks', 'files', 'view'])
      if (typeof args[k] === 'string') args[k] = JSON.parse(args[k] as string);
    const token =
      (req.headers.authorization ?? '').replace(/^Bearer /, '') || (args.token as string | undefined);
    // A message to a user id lands in the bot's DM with that user, as Slack delivers it: recorded by that channel.
    if (method === 'chat.postMessage' && /^[UW][A-Z0-9]+$/.test(String(args.channel)))
      args.channel = `D${String(args.channel)}`;
    this.calls.push({ method, token, args, at: performance.now() });
    const answer = this.answer(method, args, token);
    res
      .writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
      .end(JSON.stringify(answer.body));
  }

  private answer(
    method: string,
    args: Record<string, unknown>,
    token: string | undefined,
  ): { status: number; body: Record<string, unknown>; headers?: Record<string, string> } {
    const ok = (body: Record<string, unknown>) => ({ status: 200, body: { ok: true, ...body } });
    const error = (code: string, extra: Record<string, unknown> = {}) => ({
      status: 200,
      body: { ok: false, error: code, ...extra },
    });
    const failure = this.failures.find((f) => f.method === method && f.times > 0);
    if (failure) {
      failure.times--;
      if (failure.error === 'rate_limited' || failure.error === 'ratelimited') {
        return {
          status: 429,
          body: { ok: false, error: 'ratelimited' },
          headers: { 'retry-after': String(failure.retryAfter ?? 1) },
        };
      }
      return error(failure.error);
    }
    if (!token?.startsWith('xoxb-')) return error('not_authed');
    if (Array.isArray(args.blocks)) {
      const problems = blockLimitViolations(args.blocks as Block[]);
      if (problems.length) return error('invalid_blocks', { problems });
    }
    switch (method) {
      case 'chat.postMessage':
        return ok({
          channel: args.channel,
          ts: `${Math.floor(Date.now() / 1000)}.${String(this.nextTs++).padStart(6, '0')}`,
        });
      case 'chat.postEphemeral':
        return ok({ message_ts: `${Date.now() / 1000}` });
      case 'chat.update':
        return ok({ channel: args.channel, ts: args.ts });
      case 'conversations.open':
        return ok({ channel: { id: `D${String(args.users)}` } });
      case 'usergroups.users.list': {
        const users = this.groups.get(String(args.usergroup));
        return users ? ok({ users }) : error('no_such_subteam');
      }
      case 'files.getUploadURLExternal': {
        const id = `F${String(this.nextTs++).padStart(8, '0')}`;
        this.uploads.set(id, { content: '', filename: String(args.filename) });
        return ok({ upload_url: `${this.url}/upload/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal':
        return ok({ files: args.files });
      case 'users.list':
        return this.usersList(args);
      case 'users.info': {
        const user = this.users.find((u) => u.id === String(args.user));
        return user ? ok({ user: member(user) }) : error('user_not_found');
      }
      case 'views.open': {
        if (!args.trigger_id) return error('invalid_trigger_id');
        if (!isObject(args.view)) return error('invalid_arguments');
        const problems = viewLimitViolations(args.view);
        if (problems.length) return error('invalid_arguments', { problems });
        const id = `V${String(this.nextTs++).padStart(8, '0')}`;
        this.views.set(id, args.view);
        this.viewByTrigger.set(String(args.trigger_id), id);
        return ok({ view: { ...args.view, id } });
      }
      case 'views.update': {
        const id = String(args.view_id ?? '');
        if (!this.views.has(id)) return error('not_found');
        if (!isObject(args.view)) return error('invalid_arguments');
        if (viewLimitViolations(args.view).length) return error('invalid_arguments');
        this.views.set(id, args.view);
        return ok({ view: { ...args.view, id } });
      }
      case 'views.publish': {
        if (!args.user_id) return error('invalid_arguments');
        if (!isObject(args.view) || args.view.type !== 'home') return error('invalid_arguments');
        if (blockLimitViolations((args.view.blocks ?? []) as Block[], 'view').length)
          return error('invalid_blocks');
        this.homes.set(String(args.user_id), args.view);
        return ok({ view: { ...args.view, id: `VHOME${String(args.user_id)}` } });
      }
      case 'auth.test':
        return ok({ user_id: 'UKEYWARDEN', team_id: 'T1' });
      default:
        return error('unknown_method');
    }
  }

  /**
   * users.list with Slack's cursor paging: at most `limit` members a page (capped at 1000), an opaque cursor to the
   * next page, and an empty `next_cursor` on the last. Without a limit Slack tries to answer in one page and refuses
   * a large workspace with `limit_required`.
   */
  private usersList(args: Record<string, unknown>): { status: number; body: Record<string, unknown> } {
    const requested = Number(args.limit ?? 0);
    if (!requested && this.users.length > MAX_USERS_PAGE)
      return { status: 200, body: { ok: false, error: 'limit_required' } };
    const limit = Math.min(requested || MAX_USERS_PAGE, MAX_USERS_PAGE);
    let offset = 0;
    if (args.cursor) {
      const m = /^offset:(\d+)$/.exec(Buffer.from(String(args.cursor), 'base64').toString('utf8'));
      if (!m) return { status: 200, body: { ok: false, error: 'invalid_cursor' } };
      offset = Number(m[1]);
    }
    const page = this.users.slice(offset, offset + limit);
    const next = offset + limit < this.users.length ? offset + limit : undefined;
    return {
      status: 200,
      body: {
        ok: true,
        members: page.map(member),
        cache_ts: Math.floor(Date.now() / 1000),
        response_metadata: {
          next_cursor: next === undefined ? '' : Buffer.from(`offset:${next}`).toString('base64'),
        },
      },
    };
  }
}

/** A member as Slack's user object has it (the fields Keywarden reads, and a few it does not). */
function member(u: FakeUser): Record<string, unknown> {
  return {
    id: u.id,
    team_id: 'T1',
    name: u.email?.split('@')[0] ?? u.id.toLowerCase(),
    deleted: u.deleted ?? false,
    is_bot: u.isBot ?? false,
    is_app_user: false,
    profile: { real_name: u.id, ...(u.email ? { email: u.email } : {}) },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The upload URL takes the file raw or as multipart/form-data (what @slack/web-api sends); returns the file's text. */
function fileContent(raw: Buffer, contentType: string | undefined): string {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType ?? '');
  const text = raw.toString('utf8');
  if (!boundary) return text;
  const marker = `--${boundary[1] ?? boundary[2]}`;
  const part = text.split(marker).find((p) => p.includes('filename='));
  if (!part) return '';
  return part.slice(part.indexOf('\r\n\r\n') + 4).replace(/\r\n$/, '');
}
