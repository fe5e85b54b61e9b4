import type { Key } from '../providers/types.js';
import type { StaleReport } from '../services/stale.js';
import { button } from './kit.js';
import type { Block } from './limits.js';

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

/** "Request revocation of all N" under a stale list, behind a confirmation. */
export function requestAllButton(report: StaleReport, count: number): Block {
  return button(
    `Request revocation of all ${count.toLocaleString('en-US')}`,
    ACTION_REVOKE_STALE,
    JSON.stringify({ days: report.days, type: report.type, vendor: report.vendor }),
    {
      style: 'danger',
      confirm: {
        title: 'Request revocation of all?',
        text: `A request to revoke all ${count.toLocaleString('en-US')} keys unused for ${report.days}+ days${report.type ? ` (${report.type} only)` : ''} goes to the approvers. Nothing is revoked until a second admin approves.`,
        confirm: 'Request',
        deny: 'Cancel',
      },
    },
  );
}
