import type { SlackActionMiddlewareArgs } from '@slack/bolt';
import { jobIdFor } from '../../jobs/job.js';
import { parseJsonValue, revokeKeyRefSchema, revokeStaleRefSchema } from '../../slack/payloads.js';
import type { ListenerDeps } from '../deps.js';
import { admitAction, enqueueFrom } from './admit.js';

/** "Request revocation" on a key row: an admin asks; the worker records the request and posts it for approval. */
export function revokeKeyAction(deps: ListenerDeps) {
  return async ({ body, ack }: SlackActionMiddlewareArgs): Promise<void> => {
    await ack();
    const admitted = await admitAction(deps, body, true);
    if (!admitted) return;
    const ref = parseJsonValue(revokeKeyRefSchema, admitted.value);
    if (!ref) return admitted.tell('That button is out of date. Run the command again.');
    await enqueueFrom(deps, admitted, {
      kind: 'revoke.request',
      id: jobIdFor(admitted.action.trigger_id, 'revoke.request'),
      origin: admitted.origin,
      source: { kind: 'keys', refs: [{ vendor: ref.v, id: ref.id, ownerId: ref.o }], thresholdDays: ref.d },
    });
  };
}

/** "Request revocation of all N" under a stale list (Slack showed the confirmation dialog first). */
export function revokeStaleAction(deps: ListenerDeps) {
  return async ({ body, ack }: SlackActionMiddlewareArgs): Promise<void> => {
    await ack();
    const admitted = await admitAction(deps, body, true);
    if (!admitted) return;
    const ref = parseJsonValue(revokeStaleRefSchema, admitted.value);
    if (!ref) return admitted.tell('That button is out of date. Run the command again.');
    await enqueueFrom(deps, admitted, {
      kind: 'revoke.request',
      id: jobIdFor(admitted.action.trigger_id, 'revoke.request'),
      origin: admitted.origin,
      source: { kind: 'stale', days: ref.days, type: ref.type, vendor: ref.vendor },
    });
  };
}
