import type { SlackActionMiddlewareArgs } from '@slack/bolt';
import { errorMessage } from '../../blocks/common.js';
import { jobIdFor } from '../../jobs/job.js';
import { blockActionSchema, parseJsonValue, stalePageRefSchema } from '../../slack/payloads.js';
import type { ListenerDeps } from '../deps.js';

/**
 * "Next 20", "First page" and "Download CSV" under a stale list. The buttons carry the scan's parameters, so the
 * worker runs the scan again (about one request per 100 stale keys) instead of storing lists.
 */
export function stalePageAction(deps: ListenerDeps, mode: 'page' | 'csv') {
  return async ({ body, ack }: SlackActionMiddlewareArgs): Promise<void> => {
    await ack();
    const parsed = blockActionSchema.safeParse(body);
    const tell = async (sentence: string) => {
      const url = parsed.success ? parsed.data.response_url : undefined;
      if (url)
        await deps.slack
          .respond(url, { ...errorMessage(sentence), replaceOriginal: false })
          .catch(() => undefined);
    };
    if (!parsed.success) {
      deps.logger.warn('unreadable block action payload', {
        issues: parsed.error.issues.map((i) => i.path.join('.')),
      });
      return;
    }
    const action = parsed.data;
    const ref = parseJsonValue(stalePageRefSchema, action.actions[0]?.value);
    const channel = action.channel?.id ?? action.container?.channel_id;
    if (!ref || !channel) return tell('That button is out of date. Run the command again.');
    const decision = await deps.access.check(action.user.id, deps.admins, 'admins');
    if (!decision.allowed) {
      deps.logger.warn('refused a button press from a user who is not an admin', { user: action.user.id });
      return tell(`Sorry, this is for Keywarden admins. ${decision.reason}`);
    }
    try {
      await deps.queue.enqueue({
        kind: 'keys.stale',
        id: jobIdFor(action.trigger_id, `keys.stale.${mode}`),
        origin: {
          user: action.user.id,
          channel,
          team: action.team?.id,
          responseUrl: action.response_url,
          issuedAt: deps.now(),
        },
        days: ref.days,
        type: ref.type,
        mode,
        offset: ref.offset,
      });
    } catch (err) {
      deps.logger.error('could not queue a job', { err });
      await tell('Keywarden could not start this: its work queue is unavailable. Try again in a minute.');
    }
  };
}
