import type { SlackActionMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { MAX_REASON_LENGTH } from '../../domain/revocation.js';
import { jobIdFor, type PersonJobInput } from '../../jobs/job.js';
import { type AdmittedAction, admitAction } from '../../listeners/admit-action.js';
import { buttonListener } from '../../listeners/button.js';
import { type ListenerDeps, queued } from '../../listeners/deps.js';
import {
  denyMetadataSchema,
  parseJsonValue,
  reasonSchema,
  reasonSubmissionSchema,
  requestMetadataSchema,
  requestRefSchema,
  revokeKeyRefSchema,
  revokeStaleRefSchema,
} from '../../slack/payloads.js';
import { Replier } from '../../slack/replier.js';
import { denyModal, MIN_DENY_REASON_LENGTH } from './blocks.js';
import { type RequestSubject, requestModal } from './request-blocks.js';

/**
 * Requests and denials each take a reason, asked in a modal. A button press is checked (admin, or approver) before
 * its modal opens, and the submission is checked again; only a valid submission becomes a job, whose id comes from
 * the view, so a modal submitted twice makes one job. Closing a modal records nothing.
 */

/** "Request revocation" on a key row: an admin is asked why (optionally), then the worker records the request. */
export function revokeKeyAction(deps: ListenerDeps) {
  return async ({ body, ack }: SlackActionMiddlewareArgs): Promise<void> => {
    await ack();
    const admitted = await admitAction(deps, body, true);
    if (!admitted) return;
    const ref = parseJsonValue(revokeKeyRefSchema, admitted.value);
    if (!ref) return admitted.tell('That button is out of date. Run the command again.');
    const subject: RequestSubject = {
      kind: 'key',
      name: ref.n,
      id: ref.id,
      vendorLabel: deps.vendors.label(ref.v),
    };
    const metadata = JSON.stringify({ k: 'key', ref, c: admitted.origin.channel });
    await openModal(deps, admitted, requestModal(subject, metadata), 'request');
  };
}

/** "Request revocation of all N" under a stale list: the modal counts each vendor's keys and requires a reason. */
export function revokeStaleAction(deps: ListenerDeps) {
  return async ({ body, ack }: SlackActionMiddlewareArgs): Promise<void> => {
    await ack();
    const admitted = await admitAction(deps, body, true);
    if (!admitted) return;
    const ref = parseJsonValue(revokeStaleRefSchema, admitted.value);
    if (!ref) return admitted.tell('That button is out of date. Run the command again.');
    const subject: RequestSubject = {
      kind: 'stale',
      days: ref.days,
      type: ref.type,
      vendorLabel: ref.vendor ? deps.vendors.label(ref.vendor) : undefined,
      counts: ref.n?.map(([vendor, count]) => ({
        label: deps.vendors.label(vendor),
        count,
        tracksUse: deps.vendors.vendors.find((v) => v.id === vendor)?.tracksUse ?? true,
      })),
    };
    const metadata = JSON.stringify({ k: 'stale', ref, c: admitted.origin.channel });
    await openModal(deps, admitted, requestModal(subject, metadata), 'request');
  };
}

/**
 * The request modal submitted: the submitter must be an admin (checked here, server-side, whatever the modal
 * says), a bulk request needs a reason, and then the worker records one request per vendor.
 */
export function requestSubmission(deps: ListenerDeps) {
  return async ({ body, ack }: SlackViewMiddlewareArgs): Promise<void> => {
    const parsed = reasonSubmissionSchema.safeParse(body);
    const meta = parsed.success
      ? parseJsonValue(requestMetadataSchema, parsed.data.view.private_metadata)
      : undefined;
    if (!parsed.success || !meta) {
      deps.logger.warn('unreadable revocation request submission');
      await ack({
        response_action: 'errors',
        errors: { reason: 'This form is out of date. Close it and press the button again.' },
      });
      return;
    }
    const { user, view, team } = parsed.data;
    const decision = await deps.access.check(user.id, deps.admins, 'admins');
    if (!decision.allowed) {
      deps.logger.warn('refused a revocation request from a user who is not an admin', { user: user.id });
      await ack({
        response_action: 'errors',
        errors: { reason: `Only Keywarden admins can request revocation. ${decision.reason}` },
      });
      return;
    }
    const bulk = meta.k === 'stale';
    const reason = readReason(
      view.state.values.reason.value.value,
      bulk ? 1 : 0,
      'Say why these keys should be revoked: the approvers and each key’s owner will read it.',
    );
    if (!reason.ok) {
      await ack({ response_action: 'errors', errors: { reason: reason.error } });
      return;
    }
    await ack();
    const source =
      meta.k === 'key'
        ? {
            kind: 'keys' as const,
            refs: [{ vendor: meta.ref.v, id: meta.ref.id, ownerId: meta.ref.o }],
            thresholdDays: meta.ref.d,
          }
        : { kind: 'stale' as const, days: meta.ref.days, type: meta.ref.type, vendor: meta.ref.vendor };
    await queueFromModal(deps, {
      kind: 'revoke.request',
      id: jobIdFor(view.id, 'revoke.request'),
      origin: { user: user.id, channel: meta.c, team: team?.id, issuedAt: deps.clock.now().getTime() },
      source,
      reason: reason.text,
    });
  };
}

/**
 * Approve and Retry on an approval message. A press from someone who is not an approver is refused here,
 * privately, before it becomes a job (so it takes no work slot and no worker); the worker checks again and stays
 * the authority, and owns the state machine.
 */
export function approvalAction(deps: ListenerDeps, what: 'approve' | 'retry') {
  return buttonListener(deps, {
    audience: 'anyone',
    value: requestRefSchema,
    outdated: 'That button is out of date.',
    authorize: (ref, admitted) => approverRefusal(deps, ref.r, admitted.origin.user, what),
    job: (ref, admitted) => {
      const id = jobIdFor(admitted.action.trigger_id, `revoke.${what}`);
      return what === 'retry'
        ? { kind: 'revoke.execute', id, origin: admitted.origin, requestId: ref.r }
        : { kind: 'revoke.decide', id, origin: admitted.origin, requestId: ref.r, decision: what };
    },
  });
}

/** Deny on an approval message: only an approver gets the modal that asks why. */
export function denyAction(deps: ListenerDeps) {
  return async ({ body, ack }: SlackActionMiddlewareArgs): Promise<void> => {
    await ack();
    const admitted = await admitAction(deps, body, false);
    if (!admitted) return;
    const ref = parseJsonValue(requestRefSchema, admitted.value);
    if (!ref) return admitted.tell('That button is out of date.');
    const refusal = await approverRefusal(deps, ref.r, admitted.origin.user, 'deny');
    if (refusal) return admitted.tell(refusal);
    const metadata = JSON.stringify({ r: ref.r, c: admitted.origin.channel });
    await openModal(deps, admitted, denyModal(ref.r, metadata), 'deny');
  };
}

/** The Deny modal submitted: an approver again, a reason of 3 to 500 characters; the worker decides. */
export function denySubmission(deps: ListenerDeps) {
  return async ({ body, ack }: SlackViewMiddlewareArgs): Promise<void> => {
    const parsed = reasonSubmissionSchema.safeParse(body);
    const meta = parsed.success
      ? parseJsonValue(denyMetadataSchema, parsed.data.view.private_metadata)
      : undefined;
    if (!parsed.success || !meta) {
      deps.logger.warn('unreadable deny submission');
      await ack({
        response_action: 'errors',
        errors: { reason: 'This form is out of date. Close it and press Deny again.' },
      });
      return;
    }
    const { user, view, team } = parsed.data;
    const refusal = await approverRefusal(deps, meta.r, user.id, 'deny');
    if (refusal) {
      await ack({ response_action: 'errors', errors: { reason: refusal } });
      return;
    }
    const reason = readReason(
      view.state.values.reason.value.value,
      MIN_DENY_REASON_LENGTH,
      'Say in a few words why you deny it: the requester will read it.',
    );
    if (!reason.ok) {
      await ack({ response_action: 'errors', errors: { reason: reason.error } });
      return;
    }
    await ack();
    await queueFromModal(deps, {
      kind: 'revoke.decide',
      id: jobIdFor(view.id, 'revoke.deny'),
      origin: { user: user.id, channel: meta.c, team: team?.id, issuedAt: deps.clock.now().getTime() },
      requestId: meta.r,
      decision: 'deny',
      reason: reason.text,
    });
  };
}

/** Why `user` may not act on a request as an approver, or undefined when they may (logged when refused). */
async function approverRefusal(
  deps: ListenerDeps,
  requestId: string,
  user: string,
  what: 'approve' | 'deny' | 'retry',
): Promise<string | undefined> {
  const allowed = await deps.access.check(user, deps.approvers, 'approvers');
  if (allowed.allowed) return undefined;
  // A policy may name its own approvers for its requests: they may act on those (the worker checks again).
  const request = await deps.home?.requests?.get(requestId).catch(() => undefined);
  if (request?.approvers?.includes(user)) return undefined;
  deps.logger.warn('refused a revocation button press from a user who is not an approver', {
    requestId,
    user,
    action: what,
  });
  return `You cannot ${what} ${requestId}: ${allowed.reason}`;
}

/** Opens a modal with the press's trigger_id, which Slack honours for 3 seconds. */
async function openModal(
  deps: ListenerDeps,
  admitted: AdmittedAction,
  view: Record<string, unknown>,
  what: string,
): Promise<void> {
  try {
    await deps.slack.openView(admitted.action.trigger_id, view);
  } catch (err) {
    deps.logger.warn(`could not open the ${what} modal`, { err });
    await admitted.tell('Slack did not open the form in time. Press the button again.');
  }
}

/**
 * A typed reason, checked: `min` to 500 characters once surrounding blanks are dropped. `text` is undefined when
 * an optional reason was left empty.
 */
function readReason(
  raw: string | null | undefined,
  min: number,
  missing: string,
): { ok: true; text: string | undefined } | { ok: false; error: string } {
  const checked = reasonSchema(min).safeParse(raw ?? '');
  if (checked.success) return { ok: true, text: checked.data || undefined };
  if (checked.error.issues.some((i) => i.code === 'too_big'))
    return {
      ok: false,
      error: `Keep it to ${MAX_REASON_LENGTH} characters (this is ${(raw ?? '').trim().length}).`,
    };
  return { ok: false, error: missing };
}

/**
 * Queues a job from a submitted modal. A modal has no response_url, so a refusal (work limits) or a queue failure
 * is told privately in the channel the button was pressed in, or by DM.
 */
async function queueFromModal(deps: ListenerDeps, job: PersonJobInput): Promise<void> {
  const result = await queued(deps, job);
  if (result.kind === 'queued') return;
  await new Replier(deps.slack, job.origin, deps.logger, deps.clock)
    .send(result.message, { replace: false })
    .catch((err: unknown) => deps.logger.warn('could not answer a modal submission', { err }));
}
