import { jobIdFor } from '../../jobs/job.js';
import { buttonListener } from '../../listeners/button.js';
import type { ListenerDeps } from '../../listeners/deps.js';
import { stalePageRefSchema } from '../../slack/payloads.js';

/**
 * "Next 20", "First page", "Download CSV" and "Read live" under a stale list. The buttons carry the scan's parameters, so the
 * worker runs the scan again (about one request per 100 stale keys) instead of storing lists. The digest's
 * "Review stale keys" uses it too, answering privately without replacing the digest everyone sees.
 */
export function stalePageAction(
  deps: ListenerDeps,
  mode: 'report' | 'page' | 'csv',
  reply: 'replace' | 'new' = 'replace',
) {
  return buttonListener(deps, {
    audience: 'admins',
    value: stalePageRefSchema,
    job: (ref, admitted) => ({
      kind: 'keys.stale',
      id: jobIdFor(admitted.action.trigger_id, `keys.stale.${mode}`),
      origin: admitted.origin,
      days: ref.days,
      type: ref.type,
      vendor: ref.vendor,
      mode,
      offset: ref.offset,
      reply,
      ...(ref.live ? { live: true } : {}),
    }),
  });
}
