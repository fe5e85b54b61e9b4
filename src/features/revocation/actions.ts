import { jobIdFor } from '../../jobs/job.js';
import { buttonListener } from '../../listeners/button.js';
import type { ListenerDeps } from '../../listeners/deps.js';
import { requestRefSchema, revokeKeyRefSchema, revokeStaleRefSchema } from '../../slack/payloads.js';

/** "Request revocation" on a key row: an admin asks; the worker records the request and posts it for approval. */
export function revokeKeyAction(deps: ListenerDeps) {
  return buttonListener(deps, {
    audience: 'admins',
    value: revokeKeyRefSchema,
    job: (ref, admitted) => ({
      kind: 'revoke.request',
      id: jobIdFor(admitted.action.trigger_id, 'revoke.request'),
      origin: admitted.origin,
      source: { kind: 'keys', refs: [{ vendor: ref.v, id: ref.id, ownerId: ref.o }], thresholdDays: ref.d },
    }),
  });
}

/** "Request revocation of all N" under a stale list (Slack showed the confirmation dialog first). */
export function revokeStaleAction(deps: ListenerDeps) {
  return buttonListener(deps, {
    audience: 'admins',
    value: revokeStaleRefSchema,
    job: (ref, admitted) => ({
      kind: 'revoke.request',
      id: jobIdFor(admitted.action.trigger_id, 'revoke.request'),
      origin: admitted.origin,
      source: { kind: 'stale', days: ref.days, type: ref.type, vendor: ref.vendor },
    }),
  });
}

/**
 * Approve, Deny and Retry on an approval message. A press from someone who is not an approver is refused here,
 * privately, before it becomes a job (so it takes no work slot and no worker); the worker checks again and stays
 * the authority, and owns the state machine.
 */
export function approvalAction(deps: ListenerDeps, what: 'approve' | 'deny' | 'retry') {
  return buttonListener(deps, {
    audience: 'anyone',
    value: requestRefSchema,
    outdated: 'That button is out of date.',
    authorize: async (ref, admitted) => {
      const allowed = await deps.access.check(admitted.origin.user, deps.approvers, 'approvers');
      if (allowed.allowed) return undefined;
      deps.logger.warn('refused a revocation button press from a user who is not an approver', {
        requestId: ref.r,
        user: admitted.origin.user,
        action: what,
      });
      return `You cannot ${what} ${ref.r}: ${allowed.reason}`;
    },
    job: (ref, admitted) => {
      const id = jobIdFor(admitted.action.trigger_id, `revoke.${what}`);
      return what === 'retry'
        ? { kind: 'revoke.execute', id, origin: admitted.origin, requestId: ref.r }
        : { kind: 'revoke.decide', id, origin: admitted.origin, requestId: ref.r, decision: what };
    },
  });
}
