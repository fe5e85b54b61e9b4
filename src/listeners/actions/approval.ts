import type { SlackActionMiddlewareArgs } from '@slack/bolt';
import { jobIdFor } from '../../jobs/job.js';
import { parseJsonValue, requestRefSchema } from '../../slack/payloads.js';
import type { ListenerDeps } from '../deps.js';
import { admitAction, enqueueFrom } from './admit.js';

/**
 * Approve, Deny and Retry on an approval message. Acknowledged at once; who may decide, and the state machine,
 * are the worker's: a refusal comes back to the presser privately.
 */
export function approvalAction(deps: ListenerDeps, what: 'approve' | 'deny' | 'retry') {
  return async ({ body, ack }: SlackActionMiddlewareArgs): Promise<void> => {
    await ack();
    const admitted = await admitAction(deps, body, false);
    if (!admitted) return;
    const ref = parseJsonValue(requestRefSchema, admitted.value);
    if (!ref) return admitted.tell('That button is out of date.');
    const id = jobIdFor(admitted.action.trigger_id, `revoke.${what}`);
    await enqueueFrom(
      deps,
      admitted,
      what === 'retry'
        ? { kind: 'revoke.execute', id, origin: admitted.origin, requestId: ref.r }
        : { kind: 'revoke.decide', id, origin: admitted.origin, requestId: ref.r, decision: what },
    );
  };
}
