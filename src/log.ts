/**
 * Structured logging port. Every logger made here scrubs registered secret values from messages and fields before
 * anything is written, so a token that slips into an error message still never reaches a log line.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Values shorter than this are not scrubbed: they would match ordinary words. Real secrets are far longer. */
const MIN_SECRET_LENGTH = 8;

export class SecretRedactor {
  private readonly secrets = new Set<string>();
  add(...values: Array<string | undefined>): void {
    for (const v of values) if (v && v.length >= MIN_SECRET_LENGTH) this.secrets.add(v);
  }
  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
    return out;
  }
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
    const record = { level, time: new Date().toISOString(), msg, ...options.base, ...fields };
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

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
