import { button } from '../../blocks/kit.js';
import type { Block } from '../../blocks/limits.js';
import type { Key } from '../../domain/provider.js';
import type { StaleReport } from '../../services/stale.js';
import { plural } from '../../util/time.js';

export const ACTION_REVOKE_KEY = 'revoke_key';
export const ACTION_REVOKE_STALE = 'revoke_stale';

/**
 * "Request revocation" on one key row. The value names the key and its owner (IDmelon finds a key through its
 * owner); the worker reads the key again before recording anything, so nothing here is trusted as fact.
 */
export function requestKeyButton(k: Key, thresholdDays?: number): Block {
  return button(
    'Request revocation',
    ACTION_REVOKE_KEY,
    JSON.stringify({ v: k.vendor, id: k.id, o: k.owner.id, d: thresholdDays }),
  );
}

/**
 * What each vendor's part of "all N" is, in words and numbers: "IDmelon: 12 keys unused for 90+ days". A vendor
 * that records no use says what its keys are picked by instead.
 */
export function perVendorCounts(report: StaleReport): string[] {
  return report.sections
    .filter((s) => !s.failure && s.stale.length + s.neverUsed.length > 0)
    .map((s) => {
      const n = plural(s.stale.length + s.neverUsed.length, 'key');
      return s.tracksUse
        ? `${s.label}: ${n} unused for ${report.days}+ days`
        : `${s.label}: ${n} created more than ${report.days} days ago (use not recorded)`;
    });
}

/** Slack caps a confirmation's text at 300 characters; the per-vendor counts matter most, so the aside goes first. */
function confirmText(what: string): string {
  const full = `${what} Each key is read again first. Nothing is revoked until a second admin approves.`;
  return full.length <= 300 ? full : `${what} Nothing is revoked until a second admin approves.`;
}

/**
 * "Request revocation of all N" under a stale list, behind a confirmation that counts each vendor's keys with its
 * own criterion. Each vendor becomes its own request, so no approver sees one vendor's keys under another's claim.
 */
export function requestAllButton(report: StaleReport, count: number): Block {
  const parts = perVendorCounts(report);
  const only = report.type ? ` (${report.type} only)` : '';
  const what =
    parts.length > 1
      ? `${parts.length} requests, one per vendor, go to the approvers${only}: ${parts.join('; ')}.`
      : `A request for ${parts[0] ?? `${plural(count, 'key')}`}${only} goes to the approvers.`;
  return button(
    `Request revocation of all ${count.toLocaleString('en-US')}`,
    ACTION_REVOKE_STALE,
    JSON.stringify({ days: report.days, type: report.type, vendor: report.vendor }),
    {
      style: 'danger',
      confirm: {
        title: 'Request revocation of all?',
        text: confirmText(what),
        confirm: 'Request',
        deny: 'Cancel',
      },
    },
  );
}
