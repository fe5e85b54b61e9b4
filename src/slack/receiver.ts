import { randomUUID } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { type Clock, systemClock } from '../domain/clock.js';
import type { Logger } from '../log.js';
import { withLogContext } from '../util/log-context.js';
import { verifySlackRequest } from './verify.js';

/** An HTTP request as both the Lambda handler and the local server see it: raw bytes, lower-cased headers. */
export interface RawRequest {
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface RawResponse {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface KeywardenReceiverOptions {
  /** Read per request: the signing secret comes from the (cached) secret store. */
  signingSecret: () => Promise<string>;
  logger: Logger;
  /** Time, for the signature's five-minute window. @default the system clock */
  clock?: Clock;
}

const unauthorized: RawResponse = { status: 401, body: '' };

/**
 * A Bolt receiver for HTTP, shared by the Lambda handler and the local server. It exists because Bolt 5.1's
 * AwsLambdaReceiver accepts future timestamps, decodes base64 bodies as ASCII, rejects charset-qualified content
 * types, and parses the body before checking the signature (so garbage gets a 500 instead of a 401). Here the
 * signature is checked first, over the raw bytes; only then is the body decoded as UTF-8 and parsed.
 */
export class KeywardenReceiver implements Receiver {
  private app: App | undefined;
  constructor(private readonly options: KeywardenReceiverOptions) {}

  init(app: App): void {
    this.app = app;
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  /** Handles one HTTP request from Slack under its own correlation id, which the jobs it queues carry on. */
  async handle(req: RawRequest): Promise<RawResponse> {
    return withLogContext({ correlationId: randomUUID() }, () => this.handleRequest(req));
  }

  private async handleRequest(req: RawRequest): Promise<RawResponse> {
    const { logger } = this.options;
    let signingSecret: string;
    try {
      signingSecret = await this.options.signingSecret();
    } catch (err) {
      // Without the secret nothing can be verified, so nothing is processed; Slack shows the user a failure.
      logger.error('cannot verify Slack requests: the signing secret is unavailable', { err });
      return { status: 503, body: '' };
    }
    const verdict = verifySlackRequest({
      signingSecret,
      rawBody: req.body,
      timestamp: req.headers['x-slack-request-timestamp'],
      signature: req.headers['x-slack-signature'],
      nowSeconds: Math.floor((this.options.clock ?? systemClock).now().getTime() / 1000),
    });
    if (!verdict.ok) {
      logger.warn('refused an unverified Slack request', { reason: verdict.reason });
      return unauthorized;
    }

    // Decoded only now that the bytes are known to be Slack's; invalid UTF-8 is refused, not patched over.
    const rawBody = decodeUtf8(req.body);
    const body = rawBody === undefined ? undefined : parseBody(rawBody, req.headers['content-type']);
    if (body === undefined) {
      logger.warn('refused a signed request with an unreadable body', {
        contentType: req.headers['content-type'],
      });
      return { status: 400, body: '' };
    }
    if (body.ssl_check !== undefined) return { status: 200, body: '' };
    if (body.type === 'url_verification') return json({ challenge: body.challenge });

    let acked = false;
    let response: unknown;
    const retryNum = req.headers['x-slack-retry-num'];
    const event: ReceiverEvent = {
      body,
      ack: async (answer?: unknown) => {
        if (acked) return;
        acked = true;
        response = answer;
      },
      retryNum: retryNum === undefined ? undefined : Number(retryNum),
      retryReason: req.headers['x-slack-retry-reason'],
      customProperties: {},
    };
    try {
      await this.app?.processEvent(event);
    } catch (err) {
      logger.error('a listener failed', { err });
      // Slack shows its own failure notice for a non-200; our listeners ack before any work that can fail.
      if (!acked) return { status: 500, body: '' };
    }
    if (!acked) {
      logger.warn('no listener acknowledged the request', { type: body.type, command: body.command });
      return { status: 404, body: '' };
    }
    if (response === undefined || response === '') return { status: 200, body: '' };
    return typeof response === 'string'
      ? { status: 200, headers: { 'content-type': 'text/plain' }, body: response }
      : json(response);
  }
}

function json(value: unknown): RawResponse {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

/**
 * Slash commands arrive form-encoded, interactions form-encoded with a JSON `payload`, events as JSON. The media
 * type is compared without its parameters (`; charset=utf-8`). Anything unreadable is `undefined`, never a throw.
 */
function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> | undefined {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  try {
    if (mediaType === 'application/x-www-form-urlencoded') {
      const form = parseQuery(raw);
      if (typeof form.payload === 'string') {
        const payload: unknown = JSON.parse(form.payload);
        return isRecord(payload) ? payload : undefined;
      }
      return form as Record<string, unknown>;
    }
    if (mediaType === 'application/json') {
      const parsed: unknown = JSON.parse(raw);
      return isRecord(parsed) ? parsed : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
