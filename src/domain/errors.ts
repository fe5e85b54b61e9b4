/**
 * One error family. Each error carries a stable `code` (for logs, tests and Slack copy); vendor errors also carry
 * the vendor and, where the vendor answered, its status and its own (already summarised, redacted) code and message.
 * `userMessage()` turns any error into the one plain sentence an admin sees.
 */

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
  /** How the vendor is named to people ("IDmelon"); the id stands in when the adapter did not say. */
  vendorLabel?: string;
  /** The HTTP status, when the vendor answered with one. */
  status?: number;
  /** The vendor's own error code, summarised and redacted by the adapter that read it. */
  vendorCode?: string;
  /** The vendor's message, summarised and redacted by the adapter that read it. */
  vendorMessage?: string;
}

/** The single sentence an admin sees for any error; detail goes to the log, never a stack trace. */
export function userMessage(err: unknown): string {
  if (err instanceof VendorError) {
    const who = err.vendorLabel ?? err.vendor;
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
        if (err.status !== undefined) {
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
