/**
 * Structured logging port. Every logger made here scrubs registered secret values from messages and fields before
 * anything is written, so a token that slips into an error message still never reaches a log line.
 *
 * Keywarden keeps its own logger rather than Powertools Logger: the redaction has to see every serialised line (a
 * secret inside an error's cause, a header echoed in a vendor's error body), the same logger runs locally, in the
 * CLI and on Lambda, and what Powertools adds on Lambda (request id, cold start, a correlation id) comes from the
 * log context (util/log-context.ts) without another dependency in the Slack function's bundle.
 */
import type { LogFields, Logger, LogLevel, Redactor } from './domain/logger.js';

export { silentLogger } from './domain/logger.js';

import { logContext } from './util/log-context.js';

export type { LogFields, Logger, LogLevel, Redactor };

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Values shorter than this are not scrubbed: they would match ordinary words. Real secrets are far longer. */
const MIN_SECRET_LENGTH = 8;

/** What a scrubbed secret is replaced with. */
export const REDACTED = '[redacted]';

/**
 * The forms an echoed secret may take: as sent, URL-encoded (a vendor echoing a query string), JSON-escaped (a
 * body quoted inside another JSON string), and base64 with or without padding, standard or URL-safe (a header or
 * token decoded and re-encoded). Redaction is by these known values only: a guess at what "looks like" a token
 * would mangle key ids and ordinary words, so vendor text is also summarised and bounded where it enters
 * (http/errors.ts) as a second line of defence.
 */
function encodedForms(secret: string): string[] {
  const base64 = Buffer.from(secret, 'utf8').toString('base64');
  const base64url = Buffer.from(secret, 'utf8').toString('base64url');
  return [
    secret,
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
    base64,
    base64.replace(/=+$/, ''),
    base64url,
  ];
}

export class SecretRedactor implements Redactor {
  /** Every form of every registered secret, longest first, so a secret inside a longer one cannot survive in part. */
  private forms: string[] = [];
  private readonly secrets = new Set<string>();

  add(...values: Array<string | undefined>): void {
    let grew = false;
    for (const v of values) {
      if (!v || v.length < MIN_SECRET_LENGTH || this.secrets.has(v)) continue;
      this.secrets.add(v);
      for (const f of encodedForms(v)) {
        if (f.length >= MIN_SECRET_LENGTH && !this.forms.includes(f)) this.forms.push(f);
      }
      grew = true;
    }
    if (grew) this.forms.sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const f of this.forms) if (out.includes(f)) out = out.split(f).join(REDACTED);
    return out;
  }
}

function redactValue(value: unknown, redactor: Redactor): unknown {
  if (typeof value === 'string') return redactor.redact(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, redactor));
  if (value !== null && typeof value === 'object' && isPlain(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, redactor);
    return out;
  }
  return value;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The same value with every string inside it redacted (a Slack payload, a report), keys and structure untouched:
 * safer than redacting serialised JSON, where a match could straddle quotes and break the document.
 */
export function redactDeep<T>(value: T, redactor: Redactor): T {
  return redactValue(value, redactor) as T;
}

function serialiseError(err: Error): LogFields {
  const out: LogFields = { name: err.name, message: err.message };
  if ('code' in err) out.code = (err as { code: unknown }).code;
  if (err.stack) out.stack = err.stack;
  if (err.cause instanceof Error) out.cause = serialiseError(err.cause);
  return out;
}

export interface JsonLoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
  redactor?: SecretRedactor;
  base?: LogFields;
}

/** One JSON object per line (CloudWatch and jq both read it). */
export function jsonLogger(options: JsonLoggerOptions = {}): Logger {
  const min = order[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const redactor = options.redactor ?? new SecretRedactor();
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (order[level] < min) return;
    const record = {
      level,
      time: new Date().toISOString(),
      msg,
      ...options.base,
      ...logContext(),
      ...fields,
    };
    const line = JSON.stringify(record, (_key, value) =>
      value instanceof Error ? serialiseError(value) : value,
    );
    write(redactor.redact(line));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
