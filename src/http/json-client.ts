import type { z } from 'zod';
import { realSleep, type Sleep } from '../domain/clock.js';
import { Deadline, type RequestMeter } from '../domain/deadline.js';
import { type Metrics, noMetrics } from '../domain/metrics.js';
import type { Logger } from '../log.js';
import { SecretRedactor, silentLogger } from '../log.js';
import {
  DeadlineExceededError,
  type ErrorCode,
  HttpStatusError,
  NotFoundError,
  UnauthorizedError,
  VendorError,
  VendorResponseError,
  VendorTimeoutError,
} from './errors.js';
import {
  backoffDelay,
  defaultRetryPolicy,
  isRetryableStatus,
  parseRetryAfter,
  type RetryPolicy,
} from './retry.js';
import type { Transport, TransportResponse } from './transport.js';

/**
 * How a client authenticates. `refresh` is called once after a 401: it re-fetches a rotated secret (or a new
 * OAuth token) and says whether anything changed, in which case the request is tried once more.
 */
export interface Credentials {
  headers(): Promise<Record<string, string>>;
  refresh?(): Promise<boolean>;
}

export interface JsonClientOptions {
  /** Vendor id used in errors and logs. */
  vendor: string;
  /** How the vendor is named to people, carried by every error so its message can say who failed. */
  label?: string;
  baseUrl: string;
  transport: Transport;
  credentials: Credentials;
  retry?: RetryPolicy;
  /** One attempt may take this long. @default 10_000 */
  requestTimeoutMs?: number;
  /** Budget for a call when the caller gives no Deadline. @default 60_000 */
  defaultDeadlineMs?: number;
  sleep?: Sleep;
  random?: () => number;
  logger?: Logger;
  /** Counts each attempt (`VendorRequests`), and each 429 and 5xx answer, by vendor. */
  metrics?: Metrics;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface JsonRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  path: string;
  query?: Query;
  body?: unknown;
  /** Marks a POST or PATCH as safe to resend after an unreadable answer. */
  idempotent?: boolean;
  /** Credentials this request carries in its body (an OAuth client secret), redacted from any error it earns. */
  secrets?: readonly string[];
}

/** Safe to send twice: HTTP's idempotent methods, or a request marked so (a token fetch, a search). */
function isIdempotent(req: JsonRequest): boolean {
  return req.idempotent ?? (req.method === 'GET' || req.method === 'PUT' || req.method === 'DELETE');
}

export interface CallOptions {
  deadline?: Deadline;
  meter?: RequestMeter;
  /**
   * Cancels the call: an attempt in flight is aborted, a backoff sleep is cut short, and no further attempt is
   * made; the call rejects with the signal's reason. Read-ahead uses it for pages nobody will read.
   */
  signal?: AbortSignal;
}

/** Query values keep `,` readable (`sort=lastActivity,ascend` as the vendor documents it). */
function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v)).replace(/%2C/gi, ',')}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/**
 * `{ "error": { "code": "validation_error" } }` → "validation_error" (TryMellon's envelope). Raw: HttpStatusError
 * summarises and redacts it.
 */
function vendorCodeOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The message of a vendor's error envelope (`message`, `error.message` or `error`), raw: it is cut only after the
 * credential has been redacted from it, in HttpStatusError, so a cut can never leave part of a key behind. A body
 * that is not JSON gives nothing: it is never copied.
 */
function vendorMessageOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: { message?: unknown } | string };
    return typeof parsed.message === 'string'
      ? parsed.message
      : typeof parsed.error === 'object' && typeof parsed.error?.message === 'string'
        ? parsed.error.message
        : typeof parsed.error === 'string'
          ? parsed.error
          : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Everything secret this attempt sent: each credential header's value, the credential after an auth scheme
 * (`Bearer <token>`: a vendor may echo the token alone), and the request's own `secrets`. Vendors echo requests
 * back in error bodies, so these are redacted from whatever the vendor says, with or without a runtime redactor.
 */
function sentSecrets(credentialHeaders: Record<string, string>, req: JsonRequest): SecretRedactor {
  const redactor = new SecretRedactor();
  for (const value of Object.values(credentialHeaders)) {
    redactor.add(value, /^[A-Za-z][\w-]*\s+(\S+)$/.exec(value.trim())?.[1]);
  }
  redactor.add(...(req.secrets ?? []));
  return redactor;
}

function codeForStatus(status: number): ErrorCode {
  if (status === 403) return 'forbidden';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  return 'bad_request';
}

/** A final answer from the vendor: a 2xx with its parsed body, or a 401 (which may earn one refresh). */
interface Answer {
  status: number;
  json: unknown;
  body?: string;
  /** What the attempt sent that is secret, for redacting the 401's body. */
  sent?: SecretRedactor;
}

class RetryableFailure {
  constructor(
    readonly error: VendorError,
    readonly retryAfterMs?: number,
  ) {}
}

/**
 * JSON over HTTP for one vendor: auth headers, per-attempt timeout, retries with backoff, an operation deadline,
 * and zod validation of every response body. Vendor clients build on this and add only paths and schemas.
 */
export class JsonClient {
  private readonly retry: RetryPolicy;
  private readonly requestTimeoutMs: number;
  private readonly defaultDeadlineMs: number;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  readonly vendor: string;

  constructor(private readonly options: JsonClientOptions) {
    this.vendor = options.vendor;
    this.retry = options.retry ?? defaultRetryPolicy;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.defaultDeadlineMs = options.defaultDeadlineMs ?? 60_000;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? noMetrics;
  }

  async request<S extends z.ZodType>(
    req: JsonRequest,
    schema: S,
    call: CallOptions = {},
  ): Promise<z.infer<S>> {
    try {
      return await this.send(req, schema, call);
    } catch (err) {
      if (err instanceof VendorError && this.options.label) err.vendorLabel ??= this.options.label;
      throw err;
    }
  }

  private async send<S extends z.ZodType>(
    req: JsonRequest,
    schema: S,
    call: CallOptions,
  ): Promise<z.infer<S>> {
    const deadline = call.deadline ?? Deadline.after(this.defaultDeadlineMs);
    const what = `${req.method} ${req.path}`;
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(req, what, deadline, attempt, call);
      if (!(outcome instanceof RetryableFailure)) {
        if (outcome.status === 401) {
          // A rotated secret or an expired token: re-fetch once, then give up.
          if (!refreshed && this.options.credentials.refresh && (await this.options.credentials.refresh())) {
            refreshed = true;
            attempt--;
            continue;
          }
          throw new UnauthorizedError(this.vendor, what, vendorMessageOf(outcome.body ?? ''), {
            attempts: attempt,
            vendorCode: vendorCodeOf(outcome.body ?? ''),
            redactor: outcome.sent,
          });
        }
        return this.validate(outcome.json, schema, what, attempt);
      }
      const failure = outcome.error;
      failure.attempts = attempt;
      if (attempt > this.retry.retries) throw failure;
      const delay = outcome.retryAfterMs ?? backoffDelay(attempt - 1, this.retry, this.random);
      if (delay >= deadline.remaining()) {
        // Sleeping would outlast the budget: say so now rather than hang.
        if (failure.code === 'rate_limited') throw failure;
        throw new DeadlineExceededError(
          'deadline_exceeded',
          this.vendor,
          `${what}: out of time after ${attempt} attempts`,
          {
            cause: failure,
            attempts: attempt,
          },
        );
      }
      this.logger.debug('vendor request will be retried', {
        vendor: this.vendor,
        request: what,
        attempt,
        delay,
        code: failure.code,
      });
      await this.sleep(delay, call.signal);
    }
  }

  /** One HTTP attempt. Returns the response when it is final (success or a non-retryable status). */
  private async attempt(
    req: JsonRequest,
    what: string,
    deadline: Deadline,
    attempt: number,
    call: CallOptions,
  ): Promise<Answer | RetryableFailure> {
    call.signal?.throwIfAborted();
    // A shared request budget may hold the attempt back (the inventory's syncs); a cancelled call stops there.
    await call.meter?.pace?.();
    call.signal?.throwIfAborted();
    const remaining = deadline.remaining();
    if (remaining <= 0) {
      throw new DeadlineExceededError(
        'deadline_exceeded',
        this.vendor,
        `${what}: out of time before attempt ${attempt}`,
        {
          attempts: attempt - 1,
        },
      );
    }
    const timeoutMs = Math.min(this.requestTimeoutMs, remaining);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = call.signal ? AbortSignal.any([timeout, call.signal]) : timeout;
    const credentialHeaders = await this.options.credentials.headers();
    const headers: Record<string, string> = { accept: 'application/json', ...credentialHeaders };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
    const url = new URL(`${this.options.baseUrl.replace(/\/+$/, '')}${req.path}${encodeQuery(req.query)}`);
    const started = Date.now();
    if (call.meter) call.meter.requests++;
    const perVendor = { vendor: this.vendor };
    this.metrics.count('VendorRequests', perVendor);
    let res: TransportResponse;
    try {
      res = await this.options.transport.send({ method: req.method, url, headers, body, signal });
    } catch (err) {
      // Cancelled by the caller: not a vendor failure, and nothing to retry.
      call.signal?.throwIfAborted();
      if (timeout.aborted) {
        if (timeoutMs < this.requestTimeoutMs) {
          throw new DeadlineExceededError(
            'deadline_exceeded',
            this.vendor,
            `${what}: out of time during attempt ${attempt}`,
            {
              cause: err,
              attempts: attempt,
            },
          );
        }
        return new RetryableFailure(
          new VendorTimeoutError('timeout', this.vendor, `${what}: no answer within ${timeoutMs} ms`, {
            cause: err,
          }),
        );
      }
      const code = (err as { code?: string }).code ?? (err as Error).name;
      return new RetryableFailure(
        new VendorError('network', this.vendor, `${what}: ${code}`, { cause: err }),
      );
    }
    this.logger.debug('vendor request', {
      vendor: this.vendor,
      request: what,
      status: res.status,
      ms: Date.now() - started,
      attempt,
    });
    if (res.status === 429) {
      this.metrics.count('VendorRateLimited', perVendor);
      call.meter?.rateLimited?.(parseRetryAfter(res.headers['retry-after'], Date.now()));
    } else if (res.status >= 500) this.metrics.count('VendorServerErrors', perVendor);
    if (res.status >= 200 && res.status < 300) {
      try {
        return { status: res.status, json: res.body === '' ? undefined : JSON.parse(res.body) };
      } catch (err) {
        const malformed = new VendorResponseError('bad_response', this.vendor, `${what}: malformed JSON`, {
          cause: err,
        });
        // A truncated or garbled body is treated like a transient server fault when the request may be sent again
        // (a read, a DELETE, a token request); otherwise it is final, since the write may have happened.
        if (isIdempotent(req)) return new RetryableFailure(malformed);
        malformed.attempts = attempt;
        throw malformed;
      }
    }
    const sent = sentSecrets(credentialHeaders, req);
    if (res.status === 401) return { status: 401, json: undefined, body: res.body, sent };
    if (isRetryableStatus(res.status, this.retry)) {
      const retryAfterMs =
        res.status === 429 ? parseRetryAfter(res.headers['retry-after'], Date.now()) : undefined;
      return new RetryableFailure(
        new HttpStatusError(
          codeForStatus(res.status),
          this.vendor,
          res.status,
          what,
          vendorMessageOf(res.body),
          { vendorCode: vendorCodeOf(res.body), redactor: sent },
        ),
        retryAfterMs,
      );
    }
    const message = vendorMessageOf(res.body);
    const vendorCode = vendorCodeOf(res.body);
    if (res.status === 404)
      throw new NotFoundError(this.vendor, what, message, { attempts: attempt, vendorCode, redactor: sent });
    throw new HttpStatusError(codeForStatus(res.status), this.vendor, res.status, what, message, {
      attempts: attempt,
      vendorCode,
      redactor: sent,
    });
  }

  private validate<S extends z.ZodType>(
    json: unknown,
    schema: S,
    what: string,
    attempts: number,
  ): z.infer<S> {
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? issue.path.join('.') : '(body)';
      throw new VendorResponseError(
        'bad_response',
        this.vendor,
        `${what}: ${where}: ${issue?.message ?? 'invalid'}`,
        {
          cause: parsed.error,
          attempts,
        },
      );
    }
    return parsed.data;
  }
}
