import { createHash } from 'node:crypto';
import type {
  SlackActionMiddlewareArgs,
  SlackEventMiddlewareArgs,
  SlackViewMiddlewareArgs,
} from '@slack/bolt';
import * as z from 'zod';
import { jobIdFor } from '../../jobs/job.js';
import { admitAction } from '../../listeners/admit-action.js';
import { type ListenerDeps, queued } from '../../listeners/deps.js';
import { homeView, lookupModal, scanModal } from './blocks.js';
import { homeData } from './data.js';

const homeOpenedSchema = z.looseObject({
  event_id: z.string().min(1).max(100),
  event: z.looseObject({
    type: z.literal('app_home_opened'),
    user: z.string().regex(/^[UW][A-Z0-9]+$/),
    tab: z.string().optional(),
  }),
});

/** Publishes a person's Home from what is stored; what needs a vendor is left to a refresh job. */
export async function publishHome(deps: ListenerDeps, user: string): Promise<void> {
  const home = deps.home;
  if (!home) return;
  const data = await homeData(
    {
      access: deps.access,
      admins: deps.admins,
      approvers: deps.approvers,
      home: home.store,
      requests: home.requests,
      policy: home.policy,
      policies: home.policies,
      now: deps.clock.now(),
      shared: home.shared,
    },
    user,
  );
  await deps.slack.publishView(user, homeView(data));
}

/**
 * `app_home_opened`: verified like every Slack request, deduplicated by `event_id` (Slack sends an event again when
 * it thinks we were slow: `x-slack-retry-num`), then the Home is published at once and a refresh job queued.
 */
export function homeOpened(deps: ListenerDeps) {
  return async ({ body }: SlackEventMiddlewareArgs<'app_home_opened'> & { body: unknown }): Promise<void> => {
    const home = deps.home;
    const parsed = homeOpenedSchema.safeParse(body);
    if (!home || !parsed.success) {
      if (!parsed.success) deps.logger.warn('unreadable app_home_opened event');
      return;
    }
    const { event_id: eventId, event } = parsed.data;
    if (event.tab && event.tab !== 'home') return;
    if (!(await home.store.firstDelivery(eventId))) {
      deps.logger.info('event already handled (a Slack retry)', { eventId });
      return;
    }
    try {
      await publishHome(deps, event.user);
    } catch (err) {
      deps.logger.error('could not publish the Home', { user: event.user, err });
    }
    await deps.queue
      .enqueue({
        kind: 'home.refresh',
        id: createHash('sha256').update(`home.refresh#${eventId}`).digest('hex').slice(0, 32),
        user: event.user,
      })
      .catch((err: unknown) => deps.logger.warn('could not queue the Home refresh', { err }));
  };
}

/** "Refresh" on the Home. */
export function homeRefreshAction(deps: ListenerDeps) {
  return async ({ body, ack }: SlackActionMiddlewareArgs): Promise<void> => {
    await ack();
    const admitted = await admitAction(deps, body, false);
    if (!admitted) return;
    await deps.queue
      .enqueue({
        kind: 'home.refresh',
        id: jobIdFor(admitted.action.trigger_id, 'home.refresh'),
        user: admitted.origin.user,
      })
      .catch((err: unknown) => deps.logger.warn('could not queue the Home refresh', { err }));
  };
}

/** The admins' quick actions: each opens a small modal (scan, look up) or queues the job (digest preview). */
export function homeQuickAction(deps: ListenerDeps, what: 'scan' | 'digest' | 'lookup') {
  return async ({ body, ack }: SlackActionMiddlewareArgs): Promise<void> => {
    await ack();
    const admitted = await admitAction(deps, body, true);
    if (!admitted) return;
    if (what === 'digest') {
      const result = await queued(deps, {
        kind: 'digest.preview',
        id: jobIdFor(admitted.action.trigger_id, 'digest.preview'),
        origin: admitted.origin,
      });
      if (result.kind !== 'queued') await admitted.answer(result.message);
      return;
    }
    await deps.slack
      .openView(admitted.action.trigger_id, what === 'scan' ? scanModal() : lookupModal())
      .catch((err: unknown) => deps.logger.warn('could not open a Home modal', { err }));
  };
}

const scanSubmission = z.looseObject({
  user: z.looseObject({ id: z.string().min(1) }),
  view: z.looseObject({
    id: z.string().min(1),
    state: z.looseObject({
      values: z.looseObject({
        days: z.looseObject({ value: z.looseObject({ value: z.string().nullish() }) }),
      }),
    }),
  }),
});
const lookupSubmission = z.looseObject({
  user: z.looseObject({ id: z.string().min(1) }),
  view: z.looseObject({
    id: z.string().min(1),
    state: z.looseObject({
      values: z.looseObject({
        query: z.looseObject({ value: z.looseObject({ value: z.string().nullish() }) }),
      }),
    }),
  }),
});

/** A Home modal submitted: checked for an admin server-side, validated, then queued; the answer goes by DM. */
export function homeModalSubmission(deps: ListenerDeps, what: 'scan' | 'lookup') {
  return async ({ body, ack }: SlackViewMiddlewareArgs): Promise<void> => {
    const parsed = (what === 'scan' ? scanSubmission : lookupSubmission).safeParse(body);
    const field = what === 'scan' ? 'days' : 'query';
    if (!parsed.success) {
      await ack({
        response_action: 'errors',
        errors: { [field]: 'This form is out of date. Close it and try again.' },
      });
      return;
    }
    const user = parsed.data.user.id;
    const allowed = await deps.access.check(user, deps.admins, 'admins');
    if (!allowed.allowed) {
      await ack({
        response_action: 'errors',
        errors: { [field]: `Only Keywarden admins can do this. ${allowed.reason}` },
      });
      return;
    }
    const values = parsed.data.view.state.values as Record<string, { value: { value?: string | null } }>;
    const text = values[field]?.value.value?.trim() ?? '';
    const origin = { user, channel: user, issuedAt: deps.clock.now().getTime() };
    const id = jobIdFor(parsed.data.view.id, `home.${what}`);
    if (what === 'scan') {
      const days = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!(days >= 1 && days <= 3650)) {
        await ack({ response_action: 'errors', errors: { days: 'A whole number of days from 1 to 3650.' } });
        return;
      }
      await ack();
      await queued(deps, { kind: 'keys.stale', id, origin, days, mode: 'report', offset: 0, reply: 'new' });
      return;
    }
    if (text.length < 2 || text.length > 200) {
      await ack({
        response_action: 'errors',
        errors: { query: 'An email, a user id or part of a name (2 to 200 characters).' },
      });
      return;
    }
    await ack();
    await queued(deps, { kind: 'user.lookup', id, origin, query: text });
  };
}
