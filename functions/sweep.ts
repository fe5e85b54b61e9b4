import type { Context, ScheduledEvent } from 'aws-lambda';
import { runSweep } from '../src/features/revocation/sweep.js';
import { invocation } from '../src/runtime/invocation.js';
import { sweepRuntime } from '../src/runtime/sweep.js';

const deps = sweepRuntime(process.env);

/** Every 5 minutes: queue a resumption for each approved revocation whose run died or stalled. */
export const handler = async (_event: ScheduledEvent, context?: Context): Promise<{ resumed: number }> =>
  invocation(context, async () => {
    const { queued } = await runSweep(deps);
    return { resumed: queued.length };
  });
