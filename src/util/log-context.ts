import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Fields every log line carries while one piece of work runs: the correlation id that follows a slash command or a
 * button press from the HTTP request through the queue to the worker and its vendor calls, the job, and on Lambda the
 * request id and whether the container was cold. Held in AsyncLocalStorage, so code deep in a vendor client logs
 * them without being handed them.
 */
export interface LogContext {
  correlationId?: string;
  jobId?: string;
  kind?: string;
  requestId?: string;
  coldStart?: boolean;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `fields` added to the current context (inner fields win). */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...fields }, fn);
}

export function logContext(): LogContext | undefined {
  return storage.getStore();
}
