import type { ScheduledEvent } from 'aws-lambda';
import { schedulePolicyRun } from '../src/features/policy/schedule.js';
import { policyRuntime } from '../src/runtime/policy.js';

const deps = policyRuntime(process.env);

/** Daily: queue the day's policy run for the worker; a repeated delivery queues the same job, which runs once. */
export const handler = async (_event: ScheduledEvent): Promise<{ day: string }> => {
  const { day } = await schedulePolicyRun(deps);
  return { day };
};
