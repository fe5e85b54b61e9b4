import type { Context, ScheduledEvent } from 'aws-lambda';
import { runScheduledDigest } from '../src/features/digest/scheduled.js';
import { digestRuntime } from '../src/runtime/digest.js';
import { invocation } from '../src/runtime/invocation.js';

const deps = digestRuntime(process.env);

/**
 * EventBridge schedule → the weekly digest. Throws (so the invocation fails and is retried, then alarms) only when
 * nothing could be posted; a repeated delivery for the same week posts nothing.
 */
export const handler = async (_event: ScheduledEvent, context?: Context): Promise<{ status: string }> =>
  invocation(context, deps.metrics, async () => {
    const run = await runScheduledDigest(deps);
    return { status: run.status };
  });
