import type { Redactor } from '../log.js';
import { VENDOR_LABELS, type VendorId } from '../providers/types.js';
import { withoutEscapeSequences } from '../util/text-safety.js';

/**
 * Errors raised by the vendor HTTP layer. Each carries a stable `code` (for logs, tests and Slack copy) and the
 * vendor it came from; `userMessage()` turns any of them into the one plain sentence an admin sees.
 * Messages never contain credentials: requests are described by method and path only, and a vendor's own error
 * text is summarised (see summariseVendorText), never copied whole.
 */

/** A vendor's own error message is cut to this many characters: enough for "key is locked by policy X". */
export const VENDOR_MESSAGE_MAX = 200;
/** A vendor's error code is an identifier (`validation_error`); anything longer is not one. */
export const VENDOR_CODE_MAX = 100;

/**
 * Vendor text made fit to carry in an error that may reach Slack, DynamoDB or a terminal: echoes of the credential
 * that was sent are redacted, terminal escape sequences removed whole, format characters (bidi overrides, zero-width) dropped, control characters and line
 * breaks turned into single spaces, and the result cut to `max` characters. A vendor that echoes the request (some
 * quote the `Authorization` header back in a 4xx body) must not put the key into an approvals channel.
 * Redaction runs before the cut, so a secret can never be cut in two and survive as a prefix; and again after
 * the clean-up, in case control characters had been inserted into it.
 */
export function summariseVendorText(
  text: string | undefined,
  max: number,
  redactor?: Redactor,
): string | undefined {
  if (text === undefined) return undefined;
  const scrub = (t: string) => (redactor ? redactor.redact(t) : t);
  const line = scrub(
    withoutEscapeSequences(scrub(text))
      .replace(/\p{Cf}/gu, '')
      .replace(/[\s\p{Cc}]+/gu, ' ')
      .trim(),
  );
  if (!line) return undefined;
  const chars = Array.from(line);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : line;
}

export type ErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'bad_request'
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'deadline_exceeded'
  | 'network'
  | 'bad_response'
  | 'config';

export class KeywardenError extends Error {
  override name = 'KeywardenError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class ConfigError extends KeywardenError {
  override name = 'ConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('config', message, options);
  }
}

/** Something went wrong talking to a vendor. */
export class VendorError extends KeywardenError {
  override name = 'VendorError';
  constructor(
    code: ErrorCode,
    readonly vendor: string,
    message: string,
    options?: { cause?: unknown; attempts?: number },
  ) {
    super(code, message, options);
    this.attempts = options?.attempts ?? 1;
  }
  /** How many HTTP attempts were made before giving up. */
  attempts: number;
}

export interface HttpStatusErrorOptions {
  cause?: unknown;
  attempts?: number;
  /** The vendor's own error code, as its envelope gave it. */
  vendorCode?: string;
  /** Scrubs the credential that was sent from the vendor's text (the HTTP layer knows what it sent). */
  redactor?: Redactor;
}

/**
 * The vendor answered with a non-2xx status we do not retry (or ran out of retries on). What the vendor said is
 * kept as a summary, redacted here at construction so no later code path can carry the raw body further.
 */
export class HttpStatusError extends VendorError {
  override name = 'HttpStatusError';
  /** The vendor's message: one line, at most VENDOR_MESSAGE_MAX characters, the credential redacted. */
  readonly vendorMessage: string | undefined;
  /** The vendor's own error code, where its error envelope carries one (TryMellon's `error.code`). */
  readonly vendorCode: string | undefined;
  constructor(
    code: ErrorCode,
    vendor: string,
    readonly status: number,
    readonly request: string,
    vendorMessage: string | undefined,
    options?: HttpStatusErrorOptions,
  ) {
    const summary = summariseVendorText(vendorMessage, VENDOR_MESSAGE_MAX, options?.redactor);
    super(code, vendor, `${vendor} answered ${status} to ${request}${summary ? `: ${summary}` : ''}`, {
      cause: options?.cause,
      attempts: options?.attempts,
    });
    this.vendorMessage = summary;
    this.vendorCode = summariseVendorText(options?.vendorCode, VENDOR_CODE_MAX, options?.redactor);
  }
}

/** 401: the credential was refused. The secrets layer may re-fetch a rotated credential once. */
export class UnauthorizedError extends HttpStatusError {
  override name = 'UnauthorizedError';
  constructor(
    vendor: string,
    request: string,
    vendorMessage?: string,
    options?: Omit<HttpStatusErrorOptions, 'cause'>,
  ) {
    super('unauthorized', vendor, 401, request, vendorMessage, options);
  }
}

/** 404: the thing asked for does not exist (a deleted key, an unknown user). */
export class NotFoundError extends HttpStatusError {
  override name = 'NotFoundError';
  constructor(
    vendor: string,
    request: string,
    vendorMessage?: string,
    options?: Omit<HttpStatusErrorOptions, 'cause'>,
  ) {
    super('not_found', vendor, 404, request, vendorMessage, options);
  }
}

/** A single attempt took longer than the per-request timeout (retried), or the last one did. */
export class VendorTimeoutError extends VendorError {
  override name = 'VendorTimeoutError';
}

/** The whole operation ran out of time; nothing more will be tried. */
export class DeadlineExceededError extends VendorError {
  override name = 'DeadlineExceededError';
}

/** The vendor's answer was not what its documentation promises (malformed JSON, missing field). */
export class VendorResponseError extends VendorError {
  override name = 'VendorResponseError';
}

/** The single sentence an admin sees for any error; detail goes to the log, never a stack trace. */
export function userMessage(err: unknown): string {
  if (err instanceof VendorError) {
    const who = VENDOR_LABELS[err.vendor as VendorId] ?? err.vendor;
    switch (err.code) {
      case 'unauthorized':
        return `${who} refused Keywarden's credential (401). The API key may have expired or been reset; update the secret.`;
      case 'forbidden':
        return `${who} says Keywarden's credential is not allowed to do that (403).`;
      case 'not_found':
        return `${who} could not find that (404).`;
      case 'rate_limited':
        return `${who} is rate-limiting Keywarden (429) and did not recover in time. Try again in a minute.`;
      case 'server_error':
        return `${who} is failing (server error) after ${err.attempts} attempts. Try again later.`;
      case 'timeout':
        return `${who} did not answer in time after ${err.attempts} attempts.`;
      case 'deadline_exceeded':
        return `${who} was too slow: the operation ran out of time before it could finish.`;
      case 'network':
        return `Could not reach ${who} (network error) after ${err.attempts} attempts.`;
      case 'bad_response':
        return `${who} sent a response Keywarden could not understand (${err.message.replace(/^.*?: /, '')}).`;
      case 'bad_request':
        // The status and the vendor's summarised reason; the method and path are for the log, not for people.
        if (err instanceof HttpStatusError) {
          const status = err.vendorCode ? `${err.status} ${err.vendorCode}` : String(err.status);
          return `${who} rejected the request as invalid (${status})${err.vendorMessage ? `: ${err.vendorMessage}` : '.'}`;
        }
        return `${who} rejected the request as invalid: ${err.message}`;
      default:
        return err.message;
    }
  }
  if (err instanceof ConfigError) return `Configuration problem: ${err.message}`;
  if (hasUserMessage(err)) return err.userMessage();
  return 'Something went wrong inside Keywarden; the details were logged.';
}

/** Errors from other layers (Slack, AWS) describe themselves by implementing `userMessage()`. */
export interface DescribesItself {
  userMessage(): string;
}

function hasUserMessage(err: unknown): err is DescribesItself {
  return (
    typeof err === 'object' && err !== null && typeof (err as DescribesItself).userMessage === 'function'
  );
}
