import type { SlackActionMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { errorMessage } from '../../blocks/common.js';
import { jobIdFor } from '../../jobs/job.js';
import { admitAction } from '../../listeners/admit-action.js';
import { buttonListener } from '../../listeners/button.js';
import { type ListenerDeps, queued } from '../../listeners/deps.js';
import {
  channelMetadataSchema,
  exemptPageSchema,
  exemptSubmissionSchema,
  keepMetadataSchema,
  keepSubmissionSchema,
  ownerKeyRefSchema,
  parseJsonValue,
} from '../../slack/payloads.js';
import { exemptModal, keepModal } from './blocks.js';

/**
 * An owner's answers to their notice. Anyone can press a button in a DM they can see, so none of these decides
 * anything here: the job checks, server-side, that the presser is the key's owner.
 */

/** "Keep it": opens the reason-and-period modal at once (a trigger_id lasts 3 seconds); the submission decides. */
export function keepAction(deps: ListenerDeps) {
  return async ({ body, ack }: SlackActionMiddlewareArgs): Promise<void> => {
    await ack();
    const admitted = await admitAction(deps, body, false);
    if (!admitted) return;
    const ref = parseJsonValue(ownerKeyRefSchema, admitted.value);
    if (!ref) return admitted.tell('That button is out of date.');
    const name = (body as { message?: { blocks?: unknown[] } }).message
      ? keyNameIn(body, ref.v, ref.k)
      : undefined;
    try {
      await deps.slack.openView(
        admitted.action.trigger_id,
        keepModal({ ...ref, c: admitted.origin.channel } as never, name ?? ref.k),
      );
    } catch (err) {
      deps.logger.warn('could not open the keep modal', { err });
      await admitted.tell('Slack did not open the form in time. Press Keep it again.');
    }
  };
}

/** The key's name as the notice shows it, for the modal's title line; the job reads the real one. */
function keyNameIn(body: unknown, vendor: string, keyId: string): string | undefined {
  const blocks = (body as { message?: { blocks?: Array<{ block_id?: string }> } }).message?.blocks ?? [];
  const i = blocks.findIndex((b) => b.block_id === `owner_${vendor}_${keyId}`.slice(0, 255));
  const text = (blocks[i - 1] as { text?: { text?: string } } | undefined)?.text?.text;
  const m = text ? /^\*(.+?)\*/.exec(text) : null;
  return m?.[1];
}

/** The modal submitted: validated here (a reason is required), then queued; closing it records nothing. */
export function keepSubmission(deps: ListenerDeps) {
  return async ({ body, ack }: SlackViewMiddlewareArgs): Promise<void> => {
    const parsed = keepSubmissionSchema.safeParse(body);
    const meta = parsed.success
      ? parseJsonValue(keepMetadataSchema, parsed.data.view.private_metadata)
      : undefined;
    if (!parsed.success || !meta) {
      deps.logger.warn('unreadable keep submission');
      await ack({
        response_action: 'errors',
        errors: { reason: 'This form is out of date. Close it and press Keep it again.' },
      });
      return;
    }
    const values = parsed.data.view.state.values;
    const reason = values.reason.value.value?.trim() ?? '';
    const days = Number(values.days.value.selected_option?.value);
    if (reason.length < 3) {
      await ack({
        response_action: 'errors',
        errors: { reason: 'Say in a few words why you still need this key.' },
      });
      return;
    }
    if (days !== 30 && days !== 90 && days !== 180) {
      await ack({ response_action: 'errors', errors: { days: 'Pick 30, 90 or 180 days.' } });
      return;
    }
    await ack();
    const { c: channel, ...ref } = meta;
    const result = await queued(deps, {
      kind: 'policy.keep',
      id: jobIdFor(parsed.data.view.id, 'policy.keep'),
      origin: { user: parsed.data.user.id, channel, issuedAt: deps.clock.now().getTime() },
      ref,
      days,
      reason: reason.slice(0, 300),
    });
    if (result.kind !== 'queued') {
      await deps.slack
        .postEphemeral(
          channel,
          parsed.data.user.id,
          result.kind === 'refused'
            ? result.message
            : errorMessage('Keywarden could not record that; try again.'),
        )
        .catch((err: unknown) => deps.logger.warn('could not answer a keep submission', { err }));
    }
  };
}

/** "Revoke it now" (the policy must allow it; the job checks the presser owns the key by the vendor's record). */
export function selfRevokeAction(deps: ListenerDeps) {
  return buttonListener(deps, {
    audience: 'anyone',
    value: ownerKeyRefSchema,
    outdated: 'That button is out of date.',
    job: (ref, admitted) => ({
      kind: 'policy.self_revoke',
      id: jobIdFor(admitted.action.trigger_id, 'policy.self_revoke'),
      origin: admitted.origin,
      ref,
    }),
  });
}

/** "Not mine": the security team is alerted (the job checks the key is registered to the presser). */
export function notMineAction(deps: ListenerDeps) {
  return buttonListener(deps, {
    audience: 'anyone',
    value: ownerKeyRefSchema,
    outdated: 'That button is out of date.',
    job: (ref, admitted) => ({
      kind: 'policy.not_mine',
      id: jobIdFor(admitted.action.trigger_id, 'policy.not_mine'),
      origin: admitted.origin,
      ref,
    }),
  });
}

/** "Exempt a key…" under a stale list (admins): opens the modal with the page's keys. */
export function exemptOpenAction(deps: ListenerDeps) {
  return async ({ body, ack }: SlackActionMiddlewareArgs): Promise<void> => {
    await ack();
    const admitted = await admitAction(deps, body, true);
    if (!admitted) return;
    const entries = parseJsonValue(exemptPageSchema, admitted.value);
    if (!entries) return admitted.tell('That button is out of date. Run the command again.');
    try {
      await deps.slack.openView(admitted.action.trigger_id, exemptModal(entries, admitted.origin.channel));
    } catch (err) {
      deps.logger.warn('could not open the exempt modal', { err });
      await admitted.tell('Slack did not open the form in time. Press the button again.');
    }
  };
}

/** "Exempt a key…" submitted: only an admin's submission is queued (checked here, not taken from the modal). */
export function exemptSubmission(deps: ListenerDeps) {
  return async ({ body, ack }: SlackViewMiddlewareArgs): Promise<void> => {
    const parsed = exemptSubmissionSchema.safeParse(body);
    const meta = parsed.success
      ? parseJsonValue(channelMetadataSchema, parsed.data.view.private_metadata)
      : undefined;
    if (!parsed.success || !meta) {
      await ack({
        response_action: 'errors',
        errors: { reason: 'This form is out of date. Close it and try again.' },
      });
      return;
    }
    const v = parsed.data.view.state.values;
    const picked = v.key.value.selected_option?.value ?? '';
    const hash = picked.indexOf('#');
    const vendor = hash > 0 ? picked.slice(0, hash) : '';
    const keyId = hash > 0 ? picked.slice(hash + 1) : '';
    const days = Number(v.days.value.selected_option?.value);
    const reason = v.reason.value.value?.trim() ?? '';
    if (!deps.vendors.has(vendor) || !keyId) {
      await ack({ response_action: 'errors', errors: { key: 'Pick a key.' } });
      return;
    }
    if (reason.length < 3) {
      await ack({ response_action: 'errors', errors: { reason: 'Say in a few words why this key stays.' } });
      return;
    }
    if (![30, 90, 180, 365].includes(days)) {
      await ack({ response_action: 'errors', errors: { days: 'Pick a period.' } });
      return;
    }
    const user = parsed.data.user.id;
    const decision = await deps.access.check(user, deps.admins, 'admins');
    if (!decision.allowed) {
      deps.logger.warn('refused an exemption from a user who is not an admin', { user });
      await ack({
        response_action: 'errors',
        errors: { reason: `Only Keywarden admins can exempt keys. ${decision.reason}` },
      });
      return;
    }
    await ack();
    const result = await queued(deps, {
      kind: 'exempt.grant',
      id: jobIdFor(parsed.data.view.id, 'exempt.grant'),
      origin: { user, channel: meta.c, issuedAt: deps.clock.now().getTime() },
      vendor,
      keyId,
      days,
      reason: reason.slice(0, 300),
    });
    if (result.kind !== 'queued')
      await deps.slack
        .postEphemeral(
          meta.c,
          user,
          result.kind === 'refused'
            ? result.message
            : errorMessage('Keywarden could not record that; try again.'),
        )
        .catch((err: unknown) => deps.logger.warn('could not answer an exemption', { err }));
  };
}
