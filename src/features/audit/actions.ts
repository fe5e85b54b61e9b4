import * as z from 'zod';
import { jobIdFor } from '../../jobs/job.js';
import { buttonListener } from '../../listeners/button.js';
import type { ListenerDeps } from '../../listeners/deps.js';

const moreSchema = z.object({ days: z.number().int().min(1).max(3650), before: z.number().int().min(1) });

/** "Older" under a page of the audit trail (admins). */
export function auditMoreAction(deps: ListenerDeps) {
  return buttonListener(deps, {
    audience: 'admins',
    value: moreSchema,
    job: (ref, admitted) => ({
      kind: 'audit.recent',
      id: jobIdFor(admitted.action.trigger_id, 'audit.recent'),
      origin: admitted.origin,
      days: ref.days,
      before: ref.before,
    }),
  });
}
