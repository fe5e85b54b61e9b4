import type { Clock } from '../../domain/clock.js';
import { type JobQueue, jobIdFor } from '../../jobs/job.js';
import type { Logger } from '../../log.js';
import { findStuckRequests, type SweepOptions } from '../../services/sweep.js';
import type { RequestStore } from '../../store/requests.js';

export interface SweepDeps {
  store: RequestStore;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  options?: SweepOptions;
}

/** One sweep's job ids change every this long, so a resumption that found nothing to do can be tried again. */
const SWEEP_BUCKET_MS = 5 * 60_000;

/**
 * The periodic sweep (every 5 minutes on Lambda, every minute and at start-up locally): queues a resumption for
 * every approved request nobody is carrying out. Resuming is safe to repeat: it claims the execution first, so a
 * live run is never joined and a finished request is left alone.
 */
export async function runSweep(deps: SweepDeps): Promise<{ queued: string[] }> {
  const stuck = await findStuckRequests(deps.store, deps.clock, deps.options);
  const bucket = Math.floor(deps.clock.now().getTime() / SWEEP_BUCKET_MS);
  const queued: string[] = [];
  for (const { request, why } of stuck) {
    try {
      await deps.queue.enqueue({
        kind: 'revoke.resume',
        id: jobIdFor(`${request.id}:${request.attempt}:${bucket}`, 'revoke.resume.sweep'),
        requestId: request.id,
        why: 'sweep',
      });
      queued.push(request.id);
      deps.logger.warn('resuming a revocation nobody was carrying out', {
        requestId: request.id,
        why,
        attempt: request.attempt,
      });
    } catch (err) {
      deps.logger.error('could not queue a resumption; the next sweep tries again', {
        requestId: request.id,
        err,
      });
    }
  }
  return { queued };
}
