import type { Context, ScheduledEvent } from 'aws-lambda';
import { schedulePolicyRun } from '../src/features/policy/schedule.js';
import { invocation } from '../src/runtime/invocation.js';
import { policyRuntime } from '../src/runtime/policy.js';

const deps = policyRuntime(process.env);

/** Daily: queue the day's policy run for the worker; a repeated delivery queues the same job, which runs once. */
export const handler = async (_event: ScheduledEvent, context?: Context): Promise<{ day: string }> =>
  invocation(context, async () => {
    const { day } = await schedulePolicyRun(deps);
    return { day };
  });
