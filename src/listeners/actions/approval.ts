import type { SlackActionMiddlewareArgs } from '@slack/bolt';
import { jobIdFor } from '../../jobs/job.js';
import { parseJsonValue, requestRefSchema } from '../../slack/payloads.js';
import type { ListenerDeps } from '../deps.js';
import { admitAction, enqueueFrom } from './admit.js';

/**
 * Approve, Deny and Retry on an approval message. A press from someone who is not an approver is refused here,
 * privately, before it becomes a job (so it takes no work slot and no worker); the worker checks again and stays
 * the authority, and owns the state machine.
 */
export function approvalAction(deps: ListenerDeps, what: 'approve' | 'deny' | 'retry') {
  return async ({ body, ack }: SlackActionMiddlewareArgs): Promise<void> => {
    await ack();
    const admitted = await admitAction(deps, body, false);
    if (!admitted) return;
    const ref = parseJsonValue(requestRefSchema, admitted.value);
    if (!ref) return admitted.tell('That button is out of date.');
    const allowed = await deps.access.check(admitted.origin.user, deps.approvers, 'approvers');
    if (!allowed.allowed) {
      deps.logger.warn('refused a revocation button press from a user who is not an approver', {
        requestId: ref.r,
        user: admitted.origin.user,
        action: what,
      });
      return admitted.tell(`You cannot ${what} ${ref.r}: ${allowed.reason}`);
    }
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
