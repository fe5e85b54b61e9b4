import type { SlackActionMiddlewareArgs } from '@slack/bolt';
import type * as z from 'zod';
import type { PersonJobInput } from '../jobs/job.js';
import { parseJsonValue } from '../slack/payloads.js';
import { type AdmittedAction, admitAction, enqueueFrom } from './admit-action.js';
import type { ListenerDeps } from './deps.js';

/**
 * Every button follows the same steps: acknowledge at once, read the payload, check who pressed it (server-side,
 * never from the payload), read the button's value with its schema, and queue one job. A capability says only
 * what differs.
 */
export interface ButtonSpec<T> {
  /** `admins`: refused here unless the presser is an admin; `anyone`: `authorize` or the job decides. */
  audience: 'admins' | 'anyone';
  /** The button's value, as the renderer wrote it. */
  value: z.ZodType<T>;
  /** What the presser is told when the value cannot be read. @default "That button is out of date. Run the command again." */
  outdated?: string;
  /** A further check before anything is queued: a refusal sentence, or undefined to go on. */
  authorize?(ref: T, admitted: AdmittedAction): Promise<string | undefined>;
  job(ref: T, admitted: AdmittedAction): PersonJobInput;
}

export function buttonListener<T>(deps: ListenerDeps, spec: ButtonSpec<T>) {
  return async ({ body, ack }: SlackActionMiddlewareArgs): Promise<void> => {
    await ack();
    const admitted = await admitAction(deps, body, spec.audience === 'admins');
    if (!admitted) return;
    const ref = parseJsonValue(spec.value, admitted.value);
    if (ref === undefined)
      return admitted.tell(spec.outdated ?? 'That button is out of date. Run the command again.');
    const refusal = await spec.authorize?.(ref, admitted);
    if (refusal) return admitted.tell(refusal);
    await enqueueFrom(deps, admitted, spec.job(ref, admitted));
  };
}
