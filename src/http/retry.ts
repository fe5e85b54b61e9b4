/**
 * Retry policy shared by every vendor client, in the manner of octokit/plugin-retry: stated defaults, 429 honours
 * Retry-After, 5xx / connection resets / timeouts back off exponentially with full jitter, and the statuses in
 * `doNotRetry` fail at once (retrying a 401 or 404 cannot change the answer).
 */
export interface RetryPolicy {
  /** Retries after the first attempt. @default 3 */
  retries: number;
  /** First backoff step. @default 200 */
  baseDelayMs: number;
  /** Cap on one backoff step and on an honoured Retry-After. @default 10_000 */
  maxDelayMs: number;
  /** @default [400, 401, 403, 404, 409, 422] */
  doNotRetry: readonly number[];
}

export const defaultRetryPolicy: RetryPolicy = {
  retries: 3,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  doNotRetry: [400, 401, 403, 404, 409, 422],
};

/** Full-jitter exponential backoff: uniform in [0, min(max, base * 2^attempt)). `attempt` counts from 0. */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). Returns milliseconds, or undefined
 * when the header is absent or unreadable (the caller then falls back to backoff).
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

export function isRetryableStatus(status: number, policy: RetryPolicy): boolean {
  if (policy.doNotRetry.includes(status)) return false;
  return status === 429 || status === 408 || status >= 500;
}
