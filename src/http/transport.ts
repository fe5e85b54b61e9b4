import { Agent, request } from 'undici';

export interface TransportRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** The wire, behind an interface (as stripe-node does) so the retry and parsing logic does not care what sends. */
export interface Transport {
  send(req: TransportRequest): Promise<TransportResponse>;
  close(): Promise<void>;
}

export interface UndiciTransportOptions {
  /** Sockets kept per origin; bounds the parallel page fetches too. @default 32 */
  connections?: number;
  /**
   * Idle sockets are dropped after this long. Kept short because a Lambda frozen between invocations comes back
   * to sockets the server has already closed (those resets are retried anyway). @default 4000
   */
  keepAliveTimeoutMs?: number;
}

export function undiciTransport(options: UndiciTransportOptions = {}): Transport {
  const agent = new Agent({
    connections: options.connections ?? 32,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4000,
    keepAliveMaxTimeout: options.keepAliveTimeoutMs ?? 4000,
    // The caller's AbortSignal enforces the per-request timeout; these are only a backstop.
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  });
  return {
    async send(req) {
      const res = await request(req.url, {
        method: req.method as 'GET',
        headers: req.headers,
        body: req.body,
        signal: req.signal,
        dispatcher: agent,
      });
      const body = await res.body.text();
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { status: res.statusCode, headers, body };
    },
    close: () => agent.close(),
  };
}
