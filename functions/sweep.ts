import type { ScheduledEvent } from 'aws-lambda';
import { runSweep } from '../src/features/revocation/sweep.js';
import { sweepRuntime } from '../src/runtime/sweep.js';

const deps = sweepRuntime(process.env);

/** Every 5 minutes: queue a resumption for each approved revocation whose run died or stalled. */
export const handler = async (_event: ScheduledEvent): Promise<{ resumed: number }> => {
  const { queued } = await runSweep(deps);
  return { resumed: queued.length };
};
