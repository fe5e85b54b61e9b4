import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP server for a vendor sandbox: routing is the vendor's, and this adds what every sandbox needs:
 * injected latency, scripted faults (429 with Retry-After, 5xx, resets, slow or malformed answers) and a log of
 * the requests it served, so tests can count them.
 */

export interface SandboxRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface SandboxResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type SandboxHandler = (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;

export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  /** Destroys the socket without answering (a connection reset). */
  | { kind: 'reset' }
  /** Answers normally, but only after `ms`. */
  | { kind: 'delay'; ms: number }
  /** Does the work, then waits before answering: the caller's side effect happened, its answer is late. */
  | { kind: 'delayAnswer'; ms: number }
  /** Answers 200 with a body that is not JSON. */
  | { kind: 'malformed' }
  /** Answers normally with the body passed through `transform` (drop a field, shuffle a page, cap a list). */
  | { kind: 'transform'; transform: (body: unknown) => unknown };

export interface FaultRule {
  fault: Fault;
  /** Which requests it applies to. @default every request */
  match?: (req: SandboxRequest) => boolean;
  /** How many requests it applies to before it is spent. @default Infinity */
  times?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  body: unknown;
}

export interface SandboxServerOptions {
  /** Added before every answer. @default 0 */
  latencyMs?: number;
  /** Requests kept in `requests` (older ones dropped). @default 100_000 */
  logLimit?: number;
}

export class SandboxServer {
  readonly requests: LoggedRequest[] = [];
  private faults: Array<FaultRule & { left: number }> = [];
  private server: Server | undefined;
  latencyMs: number;
  url = '';

  constructor(
    private readonly handler: SandboxHandler,
    private readonly options: SandboxServerOptions = {},
  ) {
    this.latencyMs = options.latencyMs ?? 0;
  }

  /** Adds a fault; the first matching unspent rule wins. */
  inject(rule: FaultRule): void {
    this.faults.push({ ...rule, left: rule.times ?? Number.POSITIVE_INFINITY });
  }

  clearFaults(): void {
    this.faults = [];
  }

  clearLog(): void {
    this.requests.length = 0;
  }

  /** Requests whose path (and optionally method) matches. */
  count(path: string | RegExp, method?: string): number {
    return this.requests.filter(
      (r) =>
        (method === undefined || r.method === method) &&
        (typeof path === 'string' ? r.path === path : path.test(r.path)),
    ).length;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => {
      this.serve(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `sandbox error: ${(err as Error).message}` }));
      });
    });
    server.keepAliveTimeout = 5_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    const address = server.address() as AddressInfo;
    this.url = `http://${host}:${address.port}`;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        return send(res, { status: 400, body: { message: 'request body is not JSON' } });
      }
    }
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const request: SandboxRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
    };
    this.requests.push({ method: request.method, path: request.path, query: url.search, body });
    if (this.requests.length > (this.options.logLimit ?? 100_000)) this.requests.shift();

    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const rule = this.faults.find((f) => f.left > 0 && (f.match?.(request) ?? true));
    if (rule) rule.left--;
    const fault = rule?.fault;
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      return send(res, {
        status: fault.status,
        headers: fault.headers,
        body: fault.body ?? { message: 'injected fault' },
      });
    }
    if (fault?.kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data": [{"_id": "trunc');
      return;
    }
    if (fault?.kind === 'delay') await sleep(fault.ms);
    const answer = await this.handler(request);
    if (fault?.kind === 'delayAnswer') await sleep(fault.ms);
    if (fault?.kind === 'transform') answer.body = fault.transform(answer.body);
    send(res, answer);
  }
}

function send(res: ServerResponse, answer: SandboxResponse): void {
  if (res.destroyed) return;
  const headers: Record<string, string> = { ...answer.headers };
  if (answer.body === undefined) {
    res.writeHead(answer.status, headers);
    res.end();
    return;
  }
  res.writeHead(answer.status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(answer.body));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
