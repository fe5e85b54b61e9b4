import type { Clock } from '../domain/clock.js';
import type { RevocationRequest, RevocationStore } from '../domain/revocation.js';

/**
 * Finds approved revocations that nobody is carrying out: the execution's lease lapsed (its worker died, or a Lambda
 * timed out), a continuation job was lost, or a vendor failure is waiting for its automatic retry. What to do with
 * them (queue a resumption) is the caller's; this only decides.
 */
export type StuckReason =
  /** `executing`, but the lease lapsed: the run holding it is dead. */
  | 'lease_lapsed'
  /** `approved` with no error and no run for a while: an approval or continuation job was lost. */
  | 'stalled'
  /** `approved` after a vendor failure: retried automatically a few times, then left to the Retry now button. */
  | 'retry';

export interface StuckRequest {
  request: RevocationRequest;
  why: StuckReason;
}

export interface SweepOptions {
  /** An approved request untouched for this long is stalled. @default 120_000 */
  stalledAfterMs?: number;
  /**
   * Executions after a vendor failure that the sweep starts by itself; after that only an approver's Retry now
   * does, so a vendor that keeps refusing is not hammered every few minutes. @default 5
   */
  maxAutomaticAttempts?: number;
  /** Wait after a vendor failure before the sweep retries, multiplied by the attempt number. @default 300_000 */
  retryBackoffMs?: number;
}

export async function findStuckRequests(
  store: RevocationStore,
  clock: Clock,
  options: SweepOptions = {},
): Promise<StuckRequest[]> {
  const now = clock.now().getTime();
  const stalledAfter = options.stalledAfterMs ?? 120_000;
  const out: StuckRequest[] = [];
  for (const open of await store.listOpen()) {
    if (open.state === 'pending') continue;
    // The index is eventually consistent: decide on the request as it is now.
    const request = await store.get(open.id);
    if (!request) continue;
    if (request.state === 'executing') {
      if ((request.leaseUntil ?? 0) < now) out.push({ request, why: 'lease_lapsed' });
      continue;
    }
    if (request.state !== 'approved') continue;
    const lastMoved = Date.parse(request.yieldedAt ?? request.approvedAt ?? request.createdAt);
    if (!request.lastError) {
      if (now - lastMoved >= stalledAfter) out.push({ request, why: 'stalled' });
      continue;
    }
    const backoff = (options.retryBackoffMs ?? 300_000) * Math.max(1, request.attempt);
    if (request.attempt < (options.maxAutomaticAttempts ?? 5) && now - lastMoved >= backoff)
      out.push({ request, why: 'retry' });
  }
  return out;
}
