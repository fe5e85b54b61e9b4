import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { SandboxServer } from '../../sandbox/server.js';
import { Deadline, newMeter } from '../../src/domain/deadline.js';
import {
  DeadlineExceededError,
  HttpStatusError,
  NotFoundError,
  UnauthorizedError,
  userMessage,
  VENDOR_MESSAGE_MAX,
  VendorError,
  VendorResponseError,
} from '../../src/http/errors.js';
import { JsonClient, type JsonClientOptions } from '../../src/http/json-client.js';
import { undiciTransport } from '../../src/http/transport.js';
import { fastRetry } from '../helpers/idmelon.js';
import { RecordingMetrics } from '../helpers/metrics.js';

const SECRET = 'test-secret-value-0123456789';
const okSchema = z.looseObject({ ok: z.boolean(), n: z.number() });

describe('JsonClient against a loopback server', () => {
  let key = SECRET;
  const server = new SandboxServer((req) => {
    if (req.headers.authorization !== key) return { status: 401, body: { message: 'Unauthorized' } };
    if (req.path === '/missing') return { status: 404, body: { message: 'no such thing' } };
    if (req.path === '/shape') return { status: 200, body: { ok: 'yes' } };
    return { status: 200, body: { ok: true, n: 1 } };
  });
  const transport = undiciTransport();
  let sleeps: number[] = [];

  function client(over: Partial<JsonClientOptions> = {}) {
    return new JsonClient({
      vendor: 'idmelon',
      label: 'IDmelon',
      baseUrl: server.url,
      transport,
      credentials: { headers: async () => ({ authorization: SECRET }) },
      retry: fastRetry,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...over,
    });
  }

  beforeAll(async () => {
    await server.listen();
  });
  afterEach(() => {
    server.clearFaults();
    server.clearLog();
    sleeps = [];
    key = SECRET;
  });
  afterAll(async () => {
    await transport.close();
    await server.close();
  });

  it('sends the credential headers and validates the body', async () => {
    const got = await client().request(
      { method: 'GET', path: '/thing', query: { sort: 'lastActivity,ascend' } },
      okSchema,
    );
    expect(got).toEqual({ ok: true, n: 1 });
    expect(server.requests[0]?.query).toBe('?sort=lastActivity,ascend');
  });

  it('honours Retry-After on 429, then succeeds', async () => {
    server.inject({ fault: { kind: 'status', status: 429, headers: { 'retry-after': '2' } }, times: 1 });
    const meter = newMeter();
    const got = await client().request({ method: 'GET', path: '/thing' }, okSchema, { meter });
    expect(got.ok).toBe(true);
    expect(sleeps).toEqual([2000]);
    expect(meter.requests).toBe(2);
  });

  it.each([500, 502, 503])('retries %i with backoff, then succeeds', async (status) => {
    server.inject({ fault: { kind: 'status', status }, times: 2 });
    await client().request({ method: 'GET', path: '/thing' }, okSchema);
    expect(server.count('/thing')).toBe(3);
    expect(sleeps).toHaveLength(2);
    for (const [i, d] of sleeps.entries())
      expect(d).toBeLessThan(Math.min(fastRetry.maxDelayMs, fastRetry.baseDelayMs * 2 ** i));
  });

  it('counts every attempt, and each 429 and 5xx answer, by vendor', async () => {
    server.inject({ fault: { kind: 'status', status: 429, headers: { 'retry-after': '0' } }, times: 1 });
    server.inject({ fault: { kind: 'status', status: 503 }, times: 2 });
    const metrics = new RecordingMetrics();
    await client({ metrics }).request({ method: 'GET', path: '/thing' }, okSchema);
    expect(metrics.total('VendorRequests', { vendor: 'idmelon' })).toBe(4);
    expect(metrics.total('VendorRateLimited', { vendor: 'idmelon' })).toBe(1);
    expect(metrics.total('VendorServerErrors', { vendor: 'idmelon' })).toBe(2);
    expect(new Set(metrics.recorded.map((r) => JSON.stringify(r.dimensions)))).toEqual(
      new Set(['{"vendor":"idmelon"}']),
    );
  });

  it('retries a connection reset', async () => {
    server.inject({ fault: { kind: 'reset' }, times: 1 });
    await expect(client().request({ method: 'GET', path: '/thing' }, okSchema)).resolves.toMatchObject({
      ok: true,
    });
    expect(server.count('/thing')).toBe(2);
  });

  it('retries an attempt that outlasts the per-request timeout', async () => {
    server.inject({ fault: { kind: 'delay', ms: 400 }, times: 1 });
    await expect(
      client({ requestTimeoutMs: 100 }).request({ method: 'GET', path: '/thing' }, okSchema),
    ).resolves.toMatchObject({ ok: true });
    expect(server.count('/thing')).toBe(2);
  });

  it('retries malformed JSON on a read, then succeeds', async () => {
    server.inject({ fault: { kind: 'malformed' }, times: 1 });
    await expect(client().request({ method: 'GET', path: '/thing' }, okSchema)).resolves.toMatchObject({
      ok: true,
    });
  });

  it('does not resend a write whose answer was malformed', async () => {
    server.inject({ fault: { kind: 'malformed' } });
    await expect(
      client().request({ method: 'PATCH', path: '/thing', body: { a: 1 } }, okSchema),
    ).rejects.toBeInstanceOf(VendorResponseError);
    expect(server.count('/thing', 'PATCH')).toBe(1);
  });

  it('resends an idempotent request (a DELETE, or one marked so) whose answer was malformed', async () => {
    server.inject({ fault: { kind: 'malformed' }, times: 1 });
    await expect(client().request({ method: 'DELETE', path: '/thing' }, okSchema)).resolves.toMatchObject({
      ok: true,
    });
    server.inject({ fault: { kind: 'malformed' }, times: 1 });
    await expect(
      client().request({ method: 'POST', path: '/token', idempotent: true }, okSchema),
    ).resolves.toMatchObject({ ok: true });
    expect(server.count('/thing', 'DELETE')).toBe(2);
    expect(server.count('/token', 'POST')).toBe(2);
  });

  it('gives up after the retry budget with the last error and the attempt count', async () => {
    server.inject({ fault: { kind: 'status', status: 503 } });
    const err = await client()
      .request({ method: 'GET', path: '/thing' }, okSchema)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err).toMatchObject({ code: 'server_error', status: 503, attempts: 4 });
    expect(server.count('/thing')).toBe(4);
    expect(userMessage(err)).toBe('IDmelon is failing (server error) after 4 attempts. Try again later.');
  });

  it.each([
    [400, 'bad_request'],
    [403, 'forbidden'],
    [422, 'bad_request'],
  ])('does not retry %i', async (status, code) => {
    server.inject({ fault: { kind: 'status', status } });
    await expect(client().request({ method: 'GET', path: '/thing' }, okSchema)).rejects.toMatchObject({
      code,
      status,
    });
    expect(server.count('/thing')).toBe(1);
  });

  it('does not retry 404 and says what was missing', async () => {
    const err = await client()
      .request({ method: 'GET', path: '/missing' }, okSchema)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toBe('idmelon answered 404 to GET /missing: no such thing');
    expect(server.count('/missing')).toBe(1);
  });

  it('raises a typed UnauthorizedError on 401 without retrying, and never prints the key', async () => {
    key = 'rotated-key-abcdefgh';
    const err = await client()
      .request({ method: 'GET', path: '/thing' }, okSchema)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(server.count('/thing')).toBe(1);
    expect(JSON.stringify({ m: (err as Error).message, u: userMessage(err) })).not.toContain(SECRET);
  });

  it('re-fetches a rotated credential once after a 401, then succeeds', async () => {
    key = 'rotated-key-abcdefgh';
    let current = SECRET;
    let refreshes = 0;
    const c = client({
      credentials: {
        headers: async () => ({ authorization: current }),
        refresh: async () => {
          refreshes++;
          current = 'rotated-key-abcdefgh';
          return true;
        },
      },
    });
    await expect(c.request({ method: 'GET', path: '/thing' }, okSchema)).resolves.toMatchObject({ ok: true });
    expect(refreshes).toBe(1);
  });

  it('refreshes only once when the new credential is refused too', async () => {
    key = 'nobody-has-this-key';
    let refreshes = 0;
    const c = client({
      credentials: {
        headers: async () => ({ authorization: SECRET }),
        refresh: async () => {
          refreshes++;
          return true;
        },
      },
    });
    await expect(c.request({ method: 'GET', path: '/thing' }, okSchema)).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    expect(refreshes).toBe(1);
    expect(server.count('/thing')).toBe(2);
  });

  it('names the field when a response does not match its schema', async () => {
    const err = await client()
      .request({ method: 'GET', path: '/shape' }, okSchema)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorResponseError);
    expect((err as Error).message).toMatch(/^GET \/shape: ok: /);
  });

  it('honours the operation deadline instead of retrying forever', async () => {
    server.inject({ fault: { kind: 'delay', ms: 1000 } });
    const c = client({ requestTimeoutMs: 5000, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) });
    const err = await c
      .request({ method: 'GET', path: '/thing' }, okSchema, { deadline: Deadline.after(300) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineExceededError);
    expect(server.count('/thing')).toBe(1);
  });

  it('stops before sleeping past the deadline on a long Retry-After', async () => {
    server.inject({ fault: { kind: 'status', status: 429, headers: { 'retry-after': '120' } } });
    const err = await client()
      .request({ method: 'GET', path: '/thing' }, okSchema, { deadline: Deadline.after(5_000) })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'rate_limited' });
    expect(sleeps).toEqual([]);
  });

  it('sends nothing when the call is cancelled before it starts', async () => {
    const controller = new AbortController();
    const reason = new Error('nobody will read this page');
    controller.abort(reason);
    const meter = newMeter();
    const err = await client()
      .request({ method: 'GET', path: '/thing' }, okSchema, { meter, signal: controller.signal })
      .catch((e: unknown) => e);
    expect(err).toBe(reason);
    expect(meter.requests).toBe(0);
    expect(server.count('/thing')).toBe(0);
  });

  it('aborts an attempt in flight when the call is cancelled, without retrying it', async () => {
    server.inject({ fault: { kind: 'delay', ms: 10_000 }, times: 1 });
    const controller = new AbortController();
    const meter = newMeter();
    const pending = client()
      .request({ method: 'GET', path: '/thing' }, okSchema, { meter, signal: controller.signal })
      .catch((e: unknown) => e);
    await vi.waitFor(() => expect(server.count('/thing')).toBe(1));
    const reason = new Error('the consumer stopped');
    controller.abort(reason);
    expect(await pending).toBe(reason);
    expect(meter.requests).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('makes no further attempt when cancelled during a backoff', async () => {
    server.inject({ fault: { kind: 'status', status: 500 }, times: 1 });
    const controller = new AbortController();
    const c = client({
      sleep: async () => {
        controller.abort(new Error('cancelled while waiting'));
      },
    });
    const err = await c
      .request({ method: 'GET', path: '/thing' }, okSchema, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe('cancelled while waiting');
    expect(server.count('/thing')).toBe(1);
  });

  it('reports an unreachable vendor as a network error after retries', async () => {
    const c = client({ baseUrl: 'http://127.0.0.1:1' });
    const err = await c.request({ method: 'GET', path: '/thing' }, okSchema).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorError);
    expect(err).toMatchObject({ code: 'network', attempts: 4 });
  });
});

describe('vendor error text that echoes the credential', () => {
  // A vendor that quotes the request back in its error body: the Authorization header among it.
  const server = new SandboxServer(() => ({ status: 200, body: { ok: true, n: 1 } }));
  const transport = undiciTransport();
  const LONG = 'and a great deal more. '.repeat(400);

  function client(credentials = { headers: async () => ({ authorization: SECRET }) }) {
    return new JsonClient({
      vendor: 'idmelon',
      label: 'IDmelon',
      baseUrl: server.url,
      transport,
      credentials,
      retry: fastRetry,
      sleep: async () => {},
    });
  }

  function echo(status: number, body: unknown) {
    server.inject({ fault: { kind: 'status', status, body }, times: 4 });
  }

  async function failure(request: Parameters<JsonClient['request']>[0] = { method: 'DELETE', path: '/k/1' }) {
    return (await client()
      .request(request, okSchema)
      .catch((e: unknown) => e)) as HttpStatusError;
  }

  beforeAll(async () => {
    await server.listen();
  });
  afterEach(() => {
    server.clearFaults();
  });
  afterAll(async () => {
    await transport.close();
    await server.close();
  });

  it('keeps the status, the vendor code and one bounded line of the message, without the key', async () => {
    echo(400, {
      error: {
        code: 'invalid_key_state',
        message: `Request rejected.\nheaders: {"Authorization":"${SECRET}"}\r\n\t${LONG}`,
      },
    });
    const err = await failure();
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err).toMatchObject({ status: 400, code: 'bad_request', vendorCode: 'invalid_key_state' });
    expect(err.vendorMessage).toMatch(
      /^Request rejected\. headers: \{"Authorization":"\[redacted\]"\} and a/,
    );
    expect(err.vendorMessage?.length).toBeLessThanOrEqual(VENDOR_MESSAGE_MAX);
    expect(err.vendorMessage).toMatch(/…$/);
    expect(userMessage(err)).toMatch(
      /^IDmelon rejected the request as invalid \(400 invalid_key_state\): Request rejected\. headers: /,
    );
    const everything = JSON.stringify({ m: err.message, u: userMessage(err), e: err });
    expect(everything).not.toContain(SECRET);
    expect(userMessage(err)).not.toMatch(/[\n\r\t]/);
  });

  it('redacts the key however the echo encodes it: URL-encoded, base64, or quoted inside a JSON string', async () => {
    const odd = 'key/with+odd "chars"\\-0123456789';
    for (const echoed of [
      encodeURIComponent(odd),
      Buffer.from(odd).toString('base64'),
      JSON.stringify({ authorization: odd }),
    ]) {
      echo(422, { message: `you sent ${echoed}` });
      const err = (await client({ headers: async () => ({ authorization: odd }) })
        .request({ method: 'DELETE', path: '/k/1' }, okSchema)
        .catch((e: unknown) => e)) as HttpStatusError;
      expect(err.vendorMessage).toMatch(/^you sent .*\[redacted\]/);
      for (const form of [odd, encodeURIComponent(odd), Buffer.from(odd).toString('base64'), 'odd \\"chars'])
        expect(err.vendorMessage).not.toContain(form);
      server.clearFaults();
    }
  });

  it('redacts a bearer token echoed without its scheme', async () => {
    const token = 'tm_0123456789abcdef0123456789abcdef';
    echo(403, { message: `token ${token} lacks scope admin` });
    const err = (await client({ headers: async () => ({ authorization: `Bearer ${token}` }) })
      .request({ method: 'GET', path: '/v1/users' }, okSchema)
      .catch((e: unknown) => e)) as HttpStatusError;
    expect(err.vendorMessage).toBe('token [redacted] lacks scope admin');
  });

  it('redacts a secret the request carried in its body (an OAuth client secret)', async () => {
    const clientSecret = 'client-secret-in-the-body-0123';
    echo(400, { error: 'invalid_client', message: `unknown client_secret ${clientSecret}` });
    const err = await failure({
      method: 'POST',
      path: '/oauth/token',
      body: { client_secret: clientSecret },
      secrets: [clientSecret],
    });
    expect(err.vendorMessage).toBe('unknown client_secret [redacted]');
  });

  it('redacts the echo on a 401, a 404 and a 5xx that ran out of retries too', async () => {
    for (const status of [401, 404, 503]) {
      echo(status, { message: `bad credential ${SECRET}` });
      const err = await failure();
      expect(err).toMatchObject({ status, vendorMessage: 'bad credential [redacted]' });
      server.clearFaults();
    }
  });

  it('drops control and bidi characters, and copies nothing from a body that is not an error envelope', async () => {
    echo(400, { message: 'key\u0007 is \u202elocked\u0000 now' });
    expect((await failure()).vendorMessage).toBe('key is locked now');
    server.clearFaults();
    echo(400, `<html>${SECRET}</html>`);
    const err = await failure();
    expect(err.vendorMessage).toBeUndefined();
    expect(userMessage(err)).toBe('IDmelon rejected the request as invalid (400).');
  });
});
