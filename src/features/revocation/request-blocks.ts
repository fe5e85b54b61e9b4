import { button, input, modal, section } from '../../blocks/kit.js';
import type { Block } from '../../blocks/limits.js';
import { escapeMrkdwn, field } from '../../blocks/mrkdwn.js';
import type { Key } from '../../domain/provider.js';
import { MAX_REASON_LENGTH } from '../../domain/revocation.js';
import type { StaleReport } from '../../services/stale.js';
import { cutText } from '../../util/text-safety.js';
import { plural } from '../../util/time.js';

export const ACTION_REVOKE_KEY = 'revoke_key';
export const ACTION_REVOKE_STALE = 'revoke_stale';
/** The modal both buttons open: what will be requested, and why. */
export const VIEW_REQUEST = 'revoke_request_modal';

/**
 * "Request revocation" on one key row. The value names the key and its owner (IDmelon finds a key through its
 * owner), and the key's name for the modal to show; the worker reads the key again before recording anything, so
 * nothing here is trusted as fact.
 */
export function requestKeyButton(k: Key, thresholdDays?: number): Block {
  return button(
    'Request revocation',
    ACTION_REVOKE_KEY,
    JSON.stringify({ v: k.vendor, id: k.id, o: k.owner.id, d: thresholdDays, n: cutText(k.name, 60) }),
  );
}

/** One vendor's part of "all N", as the stale list counted it. */
export interface VendorCount {
  label: string;
  count: number;
  /** False for a vendor that records no use: its keys are picked by age instead. */
  tracksUse: boolean;
}

/** "IDmelon: 12 keys unused for 90+ days"; a vendor that records no use says what its keys are picked by instead. */
export function vendorCountText(c: VendorCount, days: number): string {
  const n = plural(c.count, 'key');
  return c.tracksUse
    ? `${c.label}: ${n} unused for ${days}+ days`
    : `${c.label}: ${n} created more than ${days} days ago (use not recorded)`;
}

/**
 * "Request revocation of all N" under a stale list. It opens the request modal, which counts each vendor's keys
 * with its own criterion; the counts travel in the value for that. Each vendor becomes its own request, so no
 * approver sees one vendor's keys under another's claim.
 */
export function requestAllButton(report: StaleReport, count: number): Block {
  const counts = report.sections
    .filter((s) => !s.failure && s.stale.length + s.neverUsed.length > 0)
    .map((s) => [s.vendor, s.stale.length + s.neverUsed.length]);
  return button(
    `Request revocation of all ${count.toLocaleString('en-US')}`,
    ACTION_REVOKE_STALE,
    JSON.stringify({ days: report.days, type: report.type, vendor: report.vendor, n: counts }),
    { style: 'danger' },
  );
}

/** What a request modal is about: one key, or every key of a stale list. Display only; the worker checks it all. */
export type RequestSubject =
  | { kind: 'key'; name?: string; id: string; vendorLabel: string }
  | { kind: 'stale'; days: number; type?: string; vendorLabel?: string; counts?: readonly VendorCount[] };

/** The sentence that says what will go to the approvers. */
function subjectText(s: RequestSubject): string {
  if (s.kind === 'key') {
    const name = s.name
      ? `*${field(s.name, 60)}* (${escapeMrkdwn(s.vendorLabel)}, id ${field(s.id, 80)})`
      : '';
    return `A request to revoke ${name || `the ${escapeMrkdwn(s.vendorLabel)} key ${field(s.id, 80)}`} goes to the approvers.`;
  }
  const only = s.type ? ` (${escapeMrkdwn(s.type)} only)` : '';
  const parts = (s.counts ?? []).slice(0, 20).map((c) => vendorCountText(c, s.days));
  if (parts.length > 1)
    return `*${parts.length} requests, one per vendor,* go to the approvers${only}:\n${parts.map((p) => `• ${escapeMrkdwn(p)}`).join('\n')}`;
  if (parts.length === 1)
    return `A request for *${escapeMrkdwn(parts[0] ?? '')}*${only} goes to the approvers.`;
  const where = s.vendorLabel ? ` in ${escapeMrkdwn(s.vendorLabel)}` : '';
  return `A request for every key on the ${s.days}-day stale list${where}${only} goes to the approvers.`;
}

/**
 * The modal "Request revocation" and "Request revocation of all N" open: what will be requested, and a reason,
 * required for a bulk request. `metadata` carries the button's value and the channel to answer in.
 */
export function requestModal(subject: RequestSubject, metadata: string): Record<string, unknown> {
  const required = subject.kind === 'stale';
  return modal({
    callback_id: VIEW_REQUEST,
    private_metadata: metadata,
    title: { type: 'plain_text', text: 'Request revocation' },
    submit: { type: 'plain_text', text: 'Request' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(
        `${subjectText(subject)}\n${required ? 'Each key is' : 'The key is'} read again first. Nothing is revoked until a second admin approves.`,
      ),
      input({
        type: 'input',
        block_id: 'reason',
        optional: !required,
        label: {
          type: 'plain_text',
          text: required ? 'Why should these keys be revoked?' : 'Why should this key be revoked?',
        },
        hint: {
          type: 'plain_text',
          text: 'The approvers, the audit channel and, once it is revoked, the key’s owner see this.',
        },
        element: {
          type: 'plain_text_input',
          action_id: 'value',
          multiline: true,
          max_length: MAX_REASON_LENGTH,
          ...(required ? { min_length: 1 } : {}),
        },
      }),
    ],
  });
}
