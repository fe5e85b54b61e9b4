import type { SlackActionMiddlewareArgs } from '@slack/bolt';
import { jobIdFor } from '../../jobs/job.js';
import { parseJsonValue, stalePageRefSchema } from '../../slack/payloads.js';
import type { ListenerDeps } from '../deps.js';
import { admitAction, enqueueFrom } from './admit.js';

/**
 * "Next 20", "First page" and "Download CSV" under a stale list. The buttons carry the scan's parameters, so the
 * worker runs the scan again (about one request per 100 stale keys) instead of storing lists. The digest's
 * "Review stale keys" uses it too, answering privately without replacing the digest everyone sees.
 */
export function stalePageAction(
  deps: ListenerDeps,
  mode: 'report' | 'page' | 'csv',
  reply: 'replace' | 'new' = 'replace',
) {
  return async ({ body, ack }: SlackActionMiddlewareArgs): Promise<void> => {
    await ack();
    const admitted = await admitAction(deps, body, true);
    if (!admitted) return;
    const ref = parseJsonValue(stalePageRefSchema, admitted.value);
    if (!ref) return admitted.tell('That button is out of date. Run the command again.');
    await enqueueFrom(deps, admitted, {
      kind: 'keys.stale',
      id: jobIdFor(admitted.action.trigger_id, `keys.stale.${mode}`),
      origin: admitted.origin,
      days: ref.days,
      type: ref.type,
      vendor: ref.vendor,
      mode,
      offset: ref.offset,
      reply,
    });
  };
}
