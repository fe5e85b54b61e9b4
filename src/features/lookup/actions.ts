import { jobIdFor } from '../../jobs/job.js';
import { buttonListener } from '../../listeners/button.js';
import type { ListenerDeps } from '../../listeners/deps.js';
import { lookupLiveRefSchema } from '../../slack/payloads.js';

/** "Read live" under a lookup answered from the inventory: the same lookup, asked of the vendors, for admins. */
export function lookupLiveAction(deps: ListenerDeps) {
  return buttonListener(deps, {
    audience: 'admins',
    value: lookupLiveRefSchema,
    job: (ref, admitted) => ({
      kind: 'user.lookup',
      id: jobIdFor(admitted.action.trigger_id, 'user.lookup.live'),
      origin: admitted.origin,
      query: ref.q,
      live: true,
    }),
  });
}
