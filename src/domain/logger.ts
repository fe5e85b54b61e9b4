/** The logging port: services and adapters log through this; `log.ts` implements it as JSON lines. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Discards everything: the default where a caller passes no logger. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Scrubs secrets from text before it leaves the process. Every exit takes one as a dependency: the logger, the
 * Slack port (messages, response_url posts, uploaded files), the request store (stored error text) and the CLI.
 */
export interface Redactor {
  redact(text: string): string;
}
