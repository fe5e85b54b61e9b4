import { createHash } from 'node:crypto';
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../domain/logger.js';
import type { JobQueue } from '../../jobs/job.js';
import { isoDate, localDate } from '../../util/zoned.js';

export interface SchedulePolicyDeps {
  queue: JobQueue;
  clock: Clock;
  timeZone: string;
  logger: Logger;
}

/**
 * The daily trigger: queues one `policy.run` job for the day. Its id is the day's, so a schedule that fires twice
 * queues the same job twice and the worker's ledger runs it once; the run itself is idempotent besides.
 */
export async function schedulePolicyRun(deps: SchedulePolicyDeps): Promise<{ jobId: string; day: string }> {
  const day = isoDate(localDate(deps.clock.now().getTime(), deps.timeZone));
  const jobId = createHash('sha256').update(`policy.run#${day}`).digest('hex').slice(0, 32);
  await deps.queue.enqueue({ kind: 'policy.run', id: jobId });
  deps.logger.info('policy run queued', { day, jobId });
  return { jobId, day };
}
