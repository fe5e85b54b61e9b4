import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { type Block, blockLimitViolations } from '../../src/blocks/limits.js';

/**
 * A fake Slack on loopback: the Web API methods Keywarden calls, response_url endpoints with Slack's limits
 * (5 uses, 30 minutes), and file uploads. Every message is checked against Block Kit limits and refused with
 * `invalid_blocks` as Slack would. Calls are recorded; tests wait for them by predicate, not by sleeping.
 */
export interface SlackCall {
  method: string;
  token?: string;
  args: Record<string, unknown>;
}

export interface ResponseUrlPost {
  hook: string;
  body: Record<string, unknown>;
}

interface Waiter {
  test: () => boolean;
  resolve: () => void;
}

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly responses: ResponseUrlPost[] = [];
  readonly uploads = new Map<string, { content: string; filename?: string }>();
  readonly groups = new Map<string, string[]>();
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

  /** The next `times` calls of `method` fail with `error` (e.g. `rate_limited` with Retry-After). */
  fail(method: string, error: string, times = 1, retryAfter?: number): void {
    this.failures.push({ method, error, times, retryAfter });
  }

  clearFailures(): void {
    this.failures = [];
  }

  callsOf(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
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
    for (const k of ['blocks', 'files'])
      if (typeof args[k] === 'string') args[k] = JSON.parse(args[k] as string);
    const token =
      (req.headers.authorization ?? '').replace(/^Bearer /, '') || (args.token as string | undefined);
    this.calls.push({ method, token, args });
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
      if (failure.error === 'rate_limited') {
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
      case 'auth.test':
        return ok({ user_id: 'UKEYWARDEN', team_id: 'T1' });
      default:
        return error('unknown_method');
    }
  }
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
