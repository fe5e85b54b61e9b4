import {
  actions,
  button,
  context,
  divider,
  header,
  input,
  type Message,
  modal,
  section,
} from '../../blocks/kit.js';
import type { Block } from '../../blocks/limits.js';
import { field, slackDate } from '../../blocks/mrkdwn.js';
import { DAY_MS } from '../../domain/clock.js';
import {
  type KeyOutcome,
  MAX_REASON_LENGTH,
  type RequestedKey,
  type RevocationRequest,
} from '../../domain/revocation.js';
import { keyUseText, plural } from '../../util/time.js';

export const ACTION_APPROVE = 'approval_approve';
export const ACTION_DENY = 'approval_deny';
export const ACTION_RETRY = 'approval_retry';
/** The modal Deny opens: the approver's reason. */
export const VIEW_DENY = 'approval_deny_modal';
/** A denial's reason is at least this long: a word or two, not a stray key. */
export const MIN_DENY_REASON_LENGTH = 3;
/** Keys listed one by one in a message; more than that are counted, and the outcome goes out as a CSV. */
export const MAX_LISTED_KEYS = 10;

/** A reason as people typed it, made literal for mrkdwn like any other user string. */
function reasonText(reason: string): string {
  return field(reason, MAX_REASON_LENGTH);
}

export interface ApproverView {
  users: readonly string[];
  group?: string;
}

/** A Slack user mention, only for ids that look like ids (they come from Slack payloads or our settings). */
export function mention(id: string | undefined): string {
  return id && /^[UW][A-Z0-9]+$/.test(id) ? `<@${id}>` : 'someone';
}

function when(iso: string | undefined): string {
  return iso ? slackDate(iso, '{date_short_pretty} at {time}', iso) : 'an unknown time';
}

const outcomeLabels: Record<KeyOutcome, string> = {
  deleted: 'deleted',
  already_gone: 'already gone',
  used_since_request: 'used since request, skipped',
  failed: 'failed',
  would_delete: 'would be deleted (dry run)',
};

function keyLine(k: RequestedKey, now: Date): string {
  const owner = k.ownerEmail ?? k.ownerName ?? 'unknown owner';
  const outcome = k.outcome ? ` → *${outcomeLabels[k.outcome]}*` : '';
  return `• *${field(k.name, 60)}* · ${field(owner, 60)} · ${field(k.type, 20)} · ${keyUseText(k, now)}${outcome}`;
}

/**
 * Approve (behind a confirmation that says what it deletes, and where when `from` names it) and Deny, for one pending
 * request: in the approvals channel and on an approver's Home.
 */
export function decisionButtons(r: RevocationRequest, from?: string): Block[] {
  const value = JSON.stringify({ r: r.id });
  return [
    button(r.dryRun ? 'Approve (dry run)' : 'Approve and revoke', ACTION_APPROVE, value, {
      style: 'danger',
      confirm: {
        title: 'Revoke these keys?',
        text: r.dryRun
          ? `Dry run: ${plural(r.keyCount, 'key')} will be checked, none deleted.`
          : `${plural(r.keyCount, 'key')} will be deleted${from ? ` from ${from}` : ''}. Their owners will have to enrol new ones. This cannot be undone.`,
        confirm: 'Approve',
        deny: 'Cancel',
      },
    }),
    button('Deny', ACTION_DENY, value),
  ];
}

function vendorsText(r: RevocationRequest): string {
  return r.vendorLabel ?? r.vendors.join(', ');
}

function cutoffDate(r: RevocationRequest): string | undefined {
  if (!r.thresholdDays) return undefined;
  const from = Date.parse(r.verifiedAt ?? r.createdAt);
  return new Date(from - r.thresholdDays * DAY_MS).toISOString().slice(0, 10);
}

/**
 * What a request claims of its keys, in words, with the vendor: one sentence per request, since each request holds
 * one vendor's keys and so one criterion.
 */
export function criterionText(r: RevocationRequest): string {
  const where = `in ${vendorsText(r)}`;
  switch (r.criterion) {
    case 'unused':
      return `${where} unused for ${r.thresholdDays}+ days (last use before ${cutoffDate(r)}, or never used)`;
    case 'created':
      return `${where} created more than ${r.thresholdDays} days ago and still active (${vendorsText(r)} does not record use)`;
    case 'exists':
      return where;
    default:
      return r.thresholdDays ? `unused for ${r.thresholdDays}+ days ${where}` : where;
  }
}

/** Exactly what Keywarden checked of every key when the request was made, and when. */
function verifiedText(r: RevocationRequest): string | undefined {
  if (!r.verifiedAt) return undefined;
  const read = `Keywarden read every key from ${vendorsText(r)} ${when(r.verifiedAt)}`;
  switch (r.criterion) {
    case 'unused':
      return `:mag: ${read}: each was last used before ${cutoffDate(r)} or never used. Before deleting, it reads each key again and skips any used since.`;
    case 'created':
      return `:mag: ${read}: each was created before ${cutoffDate(r)} and is active. ${vendorsText(r)} does not record use, so nothing is claimed about it.`;
    default:
      return `:mag: ${read}: each exists. No claim is made about its use; before deleting, Keywarden reads each key again and skips any used since.`;
  }
}

function droppedText(r: RevocationRequest): string | undefined {
  const dropped = r.dropped ?? [];
  if (dropped.length === 0) return undefined;
  const first = dropped
    .slice(0, 3)
    .map((d) => `${field(d.name, 60)} (${field(d.why, 80)})`)
    .join('; ');
  return `Left out when the request was made, because ${dropped.length === 1 ? 'it no longer qualifies' : 'they no longer qualify'}: ${first}${dropped.length > 3 ? ` and ${dropped.length - 3} more` : ''}.`;
}

export function whoMayApprove(view: ApproverView, requester: string, r?: RevocationRequest): string {
  const users = r?.approvers?.length ? r.approvers : view.users;
  const people = users.filter((u) => u !== requester && u !== r?.firstApprover).map(mention);
  if (!r?.approvers?.length && view.group && /^S[A-Z0-9]+$/.test(view.group))
    people.push(`members of <!subteam^${view.group}>`);
  if (people.length === 0)
    return 'No approvers are configured (KEYWARDEN_APPROVERS / KEYWARDEN_APPROVER_GROUP), so nobody can approve this.';
  if (r?.approvalsNeeded === 2) {
    return r.firstApprover
      ? `Approved by ${mention(r.firstApprover)}; needs a second approver: ${people.join(', ')}.`
      : `Raised by a policy, so it needs two different approvers: ${people.join(', ')}.`;
  }
  return `Needs one approver other than ${mention(requester)}: ${people.join(', ')}.`;
}

/** The approver, or both approvers of a request that needed two. */
export function approvedBy(r: RevocationRequest): string {
  return r.firstApprover ? `${mention(r.firstApprover)} and ${mention(r.approver)}` : mention(r.approver);
}

/** Who asked: a person, or the policy that raised the request. */
export function requesterText(r: RevocationRequest): string {
  if (r.selfService)
    return `${mention(r.approver)} gave up their own key under policy *${field(r.policy ?? '', 60)}*:`;
  if (r.policy) return `Policy *${field(r.policy, 60)}* asks`;
  return `${mention(r.requester)} asks`;
}

export function summaryText(summary: Partial<Record<KeyOutcome, number>>): string {
  return (Object.keys(outcomeLabels) as KeyOutcome[])
    .filter((o) => (summary[o] ?? 0) > 0)
    .map((o) => `${summary[o]} ${outcomeLabels[o]}`)
    .join(' · ');
}

export function countOutcomes(keys: readonly RequestedKey[]): Partial<Record<KeyOutcome, number>> {
  const counts: Partial<Record<KeyOutcome, number>> = {};
  for (const k of keys) if (k.outcome) counts[k.outcome] = (counts[k.outcome] ?? 0) + 1;
  return counts;
}

/**
 * The approval message in the approvals channel, for every state of the request: it is posted when the request is
 * made and updated in place on every change.
 */
export function approvalMessage(
  r: RevocationRequest,
  keys: readonly RequestedKey[],
  view: ApproverView,
  now: Date,
  note?: string,
): Message {
  const dry = r.dryRun ? ' (DRY RUN)' : '';
  const blocks: Block[] = [header(`Revocation request ${r.id}${dry}`)];
  if (r.dryRun)
    blocks.push(
      context(
        ':test_tube: *DRY RUN*: Keywarden will do everything except the DELETE calls. Nothing will be revoked.',
      ),
    );
  const reason = r.reason ? `\nReason: ${reasonText(r.reason)}` : '';
  blocks.push(
    section(`${requesterText(r)} to revoke *${plural(r.keyCount, 'key')}* ${criterionText(r)}.${reason}`),
  );
  const checked = [verifiedText(r), droppedText(r)].filter((t): t is string => Boolean(t));
  if (checked.length) blocks.push(context(...checked));
  const listed = keys.slice(0, MAX_LISTED_KEYS).map((k) => keyLine(k, now));
  if (keys.length > MAX_LISTED_KEYS)
    listed.push(`…and ${(keys.length - MAX_LISTED_KEYS).toLocaleString('en-US')} more.`);
  if (listed.length) blocks.push(section(listed.join('\n')));
  blocks.push(divider());

  const value = JSON.stringify({ r: r.id });
  switch (r.state) {
    case 'pending':
      blocks.push(context(`${whoMayApprove(view, r.requester, r)} Expires ${when(r.validUntil)}.`));
      blocks.push(actions(decisionButtons(r, vendorsText(r)), `approval_${r.id}`));
      break;
    case 'approved':
    case 'executing': {
      const progress = countOutcomes(keys);
      const done = Object.values(progress).reduce((n, c) => n + (c ?? 0), 0);
      const soFar = done
        ? ` ${done.toLocaleString('en-US')} of ${r.keyCount.toLocaleString('en-US')} done so far: ${summaryText(progress)}.`
        : '';
      blocks.push(
        context(
          r.lastError
            ? `:warning: Approved by ${approvedBy(r)} ${when(r.approvedAt)}, but stopped part-way: ${field(r.lastError, 300)}${soFar} Keywarden retries automatically; an approver can also retry now.`
            : `:hourglass_flowing_reduced: Approved by ${approvedBy(r)} ${when(r.approvedAt)}. Revoking…${soFar} If a run is interrupted, Keywarden resumes it within minutes; an approver can also press Retry now, which does nothing while a run is alive.`,
        ),
      );
      // Always offered while the request is open: the worker refuses to start a second run alongside a live one,
      // so the button is harmless until a run's lease lapses, and then it is the way to resume at once.
      blocks.push(actions([button('Retry now', ACTION_RETRY, value)], `retry_${r.id}`));
      break;
    }
    case 'done':
      blocks.push(
        section(
          `:white_check_mark: Approved by ${approvedBy(r)} ${when(r.approvedAt)}. ${r.dryRun ? 'DRY RUN finished' : 'Done'} ${when(r.completedAt)}: ${summaryText(r.summary ?? countOutcomes(keys)) || 'nothing to do'}.`,
        ),
      );
      break;
    case 'denied':
      blocks.push(
        section(
          `:no_entry_sign: Denied by ${mention(r.deniedBy)} ${when(r.deniedAt)}. Nothing was revoked.${denyReasonLine(r)}`,
        ),
      );
      break;
    case 'expired':
      blocks.push(
        section(`:hourglass: Expired ${when(r.validUntil)} without approval. Nothing was revoked.`),
      );
      break;
  }
  if (note) blocks.push(context(note));
  return { text: `Revocation request ${r.id}${dry}: ${plural(r.keyCount, 'key')}, ${r.state}`, blocks };
}

/** The approver's reason for denying, on a line of its own; empty when there is none. */
function denyReasonLine(r: RevocationRequest): string {
  return r.state === 'denied' && r.denyReason ? `\nReason for denying: ${reasonText(r.denyReason)}` : '';
}

/** Told to the requester in the request's thread. */
export function requesterNotice(r: RevocationRequest, keys: readonly RequestedKey[]): Message {
  const dry = r.dryRun ? ' DRY RUN:' : '';
  let text: string;
  switch (r.state) {
    case 'done':
      text = `${mention(r.requester)}${dry} your request ${r.id} was approved by ${approvedBy(r)} and carried out: ${summaryText(r.summary ?? countOutcomes(keys)) || 'nothing to do'}.`;
      break;
    case 'denied':
      text = `${mention(r.requester)}${dry} your request ${r.id} was denied by ${mention(r.deniedBy)}. Nothing was revoked.${denyReasonLine(r)}`;
      break;
    case 'expired':
      text = `${mention(r.requester)}${dry} your request ${r.id} expired without approval. Nothing was revoked.`;
      break;
    default:
      text = `${mention(r.requester)}${dry} your request ${r.id} is ${r.state}.`;
  }
  return { text, blocks: [section(text)] };
}

/** One line for the audit channel, then the reasons given: the requester's, and the approver's for a denial. */
export function auditLine(r: RevocationRequest, keys: readonly RequestedKey[]): Message {
  const dry = r.dryRun ? ' [DRY RUN]' : '';
  const by =
    r.state === 'denied'
      ? `denied by ${mention(r.deniedBy)}`
      : r.state === 'expired'
        ? 'expired unapproved'
        : `approved by ${approvedBy(r)}`;
  const outcome =
    r.state === 'done' ? `: ${summaryText(r.summary ?? countOutcomes(keys)) || 'nothing to do'}` : '';
  const line = `${r.id}${dry}: ${mention(r.requester)} asked to revoke ${plural(r.keyCount, 'key')} ${criterionText(r)}; ${by}${outcome}.`;
  const reason = r.reason ? `\nReason: ${reasonText(r.reason)}` : '';
  const text = `${line}${reason}${denyReasonLine(r)}`;
  return { text, blocks: [section(text)] };
}

/** Tells a key's owner that it was revoked, why, and who decided. */
export function ownerRevokedNotice(request: RevocationRequest, keys: readonly RequestedKey[]): Message {
  const names = keys.slice(0, 10).map((k) => `• *${field(k.name, 80)}* (${field(k.type, 20)})`);
  const more = keys.length > 10 ? `\n…and ${keys.length - 10} more.` : '';
  const who = request.selfService ? 'you gave it up yourself' : `approved by ${approvedBy(request)}`;
  const why = request.policy
    ? `Policy *${field(request.policy, 60)}*: ${reasonText(request.reason ?? 'unused keys')}`
    : reasonText(request.reason ?? `requested by an admin (${request.id})`);
  return {
    text: `Keywarden revoked ${plural(keys.length, 'key')} of yours`,
    blocks: [
      section(
        `:wastebasket: ${plural(keys.length, 'key')} of yours ${keys.length === 1 ? 'was' : 'were'} revoked (${request.id}, ${who}):\n${names.join('\n')}${more}`,
      ),
      context(`Why: ${why}`),
    ],
  };
}

/** The modal Deny opens: a reason is required. `metadata` carries the request and the channel to answer in. */
export function denyModal(requestId: string, metadata: string): Record<string, unknown> {
  return modal({
    callback_id: VIEW_DENY,
    private_metadata: metadata,
    title: { type: 'plain_text', text: `Deny ${requestId}`.slice(0, 24) },
    submit: { type: 'plain_text', text: 'Deny' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(`Deny *${requestId}*? Nothing will be revoked.`),
      input({
        type: 'input',
        block_id: 'reason',
        label: { type: 'plain_text', text: 'Why do you deny it?' },
        hint: {
          type: 'plain_text',
          text: 'The requester, the approvals channel and the audit channel see this.',
        },
        element: {
          type: 'plain_text_input',
          action_id: 'value',
          multiline: true,
          min_length: MIN_DENY_REASON_LENGTH,
          max_length: MAX_REASON_LENGTH,
        },
      }),
    ],
  });
}
