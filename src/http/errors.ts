import { type ErrorCode, VendorError } from '../domain/errors.js';
import type { Redactor } from '../domain/logger.js';

export {
  ConfigError,
  type DescribesItself,
  type ErrorCode,
  KeywardenError,
  userMessage,
  VendorError,
} from '../domain/errors.js';

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
  override readonly vendorMessage: string | undefined;
  /** The vendor's own error code, where its error envelope carries one (TryMellon's `error.code`). */
  override readonly vendorCode: string | undefined;
  constructor(
    code: ErrorCode,
    vendor: string,
    override readonly status: number,
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
