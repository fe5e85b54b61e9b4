import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  defaultRetryPolicy,
  isRetryableStatus,
  parseRetryAfter,
} from '../../src/http/retry.js';

describe('retry policy', () => {
  it('reads Retry-After as delta-seconds', () => {
    expect(parseRetryAfter('2', 0)).toBe(2000);
    expect(parseRetryAfter(' 0 ', 0)).toBe(0);
    expect(parseRetryAfter('1.5', 0)).toBe(1500);
  });

  it('reads Retry-After as an HTTP date, relative to now', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(parseRetryAfter('Mon, 23 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores a missing or unreadable Retry-After', () => {
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });

  it('retries 429, 408 and 5xx but never 400, 401, 403, 404 or 422', () => {
    for (const s of [429, 408, 500, 502, 503, 504])
      expect(isRetryableStatus(s, defaultRetryPolicy)).toBe(true);
    for (const s of [400, 401, 403, 404, 422, 409, 410])
      expect(isRetryableStatus(s, defaultRetryPolicy)).toBe(false);
  });

  it('keeps every backoff step within [0, min(max, base * 2^attempt))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (attempt, r) => {
          const d = backoffDelay(attempt, defaultRetryPolicy, () => r);
          const ceiling = Math.min(
            defaultRetryPolicy.maxDelayMs,
            defaultRetryPolicy.baseDelayMs * 2 ** attempt,
          );
          return d >= 0 && d < ceiling && Number.isInteger(d);
        },
      ),
    );
  });
});
