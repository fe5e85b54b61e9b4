import { describe, expect, it } from 'vitest';
import { blockLimitViolations, viewLimitViolations } from '../../../src/blocks/limits.js';
import type { RequestedKey, RevocationRequest } from '../../../src/domain/revocation.js';
import {
  approvalMessage,
  auditLine,
  denyModal,
  ownerRevokedNotice,
  requesterNotice,
} from '../../../src/features/revocation/blocks.js';
import { requestModal } from '../../../src/features/revocation/request-blocks.js';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const text = (v: unknown) => JSON.stringify(v);

function request(over: Partial<RevocationRequest> = {}): RevocationRequest {
  return {
    id: 'R-ABCDEFGH',
    state: 'pending',
    requester: 'UREQ',
    thresholdDays: 90,
    criterion: 'unused',
    verifiedAt: NOW.toISOString(),
    keyCount: 1,
    vendors: ['idmelon'],
    createdAt: NOW.toISOString(),
    validUntil: new Date(NOW.getTime() + 86_400_000).toISOString(),
    dryRun: false,
    attempt: 0,
    ...over,
  };
}
const keys: RequestedKey[] = [
  {
    vendor: 'idmelon',
    id: 'k1',
    name: 'Badge',
    type: 'badge',
    ownerEmail: 'a@acme.example',
    lastUsedAt: null,
  },
];

describe('approval messages in dry run', () => {
  it('say DRY RUN in the header, in a line of their own, on the button and in every notice', () => {
    const dry = request({ dryRun: true });
    const message = approvalMessage(dry, keys, { users: ['UAPP'] }, NOW);
    expect(message.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: 'Revocation request R-ABCDEFGH (DRY RUN)' },
    });
    expect(text(message.blocks)).toContain(
      '*DRY RUN*: Keywarden will do everything except the DELETE calls.',
    );
    expect(text(message.blocks)).toContain('Approve (dry run)');
    expect(message.text).toContain('(DRY RUN)');
    const done = request({
      dryRun: true,
      state: 'done',
      approver: 'UAPP',
      summary: { would_delete: 1 } as never,
    });
    expect(requesterNotice(done, keys).text).toContain('DRY RUN:');
    expect(auditLine(done, keys).text).toContain('[DRY RUN]');
  });

  it('say nothing of a dry run when it is not one', () => {
    const message = approvalMessage(request(), keys, { users: ['UAPP'] }, NOW);
    expect(text(message)).not.toMatch(/DRY RUN|dry run/);
  });
});

describe('reasons', () => {
  const hostile = '<!channel> see https://evil.example *now* & `run`';
  const shown = '&lt;!channel&gt; see https∶//evil․example ∗now∗ &amp; ˋrunˋ';
  const denied = request({
    state: 'denied',
    reason: 'left the company',
    deniedBy: 'UAPP',
    deniedAt: NOW.toISOString(),
    denyReason: hostile,
  });

  it('show why a request was denied in the approval message, the requester’s notice and the audit line, escaped', () => {
    const approval = text(approvalMessage(denied, keys, { users: ['UAPP'] }, NOW).blocks);
    expect(approval).toContain('Reason: left the company');
    expect(approval).toContain(`Reason for denying: ${shown}`);
    const notice = requesterNotice(denied, keys);
    expect(notice.text).toContain('was denied by <@UAPP>. Nothing was revoked.');
    expect(notice.text).toContain(`Reason for denying: ${shown}`);
    const audit = auditLine(denied, keys);
    expect(audit.text).toContain('denied by <@UAPP>');
    expect(audit.text).toContain('Reason: left the company');
    expect(audit.text).toContain(`Reason for denying: ${shown}`);
    for (const message of [notice, audit]) {
      expect(text(message)).not.toContain('<!channel>');
      expect(blockLimitViolations(message.blocks)).toEqual([]);
    }
  });

  it('show the request’s reason in the audit line and, whole, in the owner’s notice', () => {
    const long = `${'a'.repeat(450)} ${'b'.repeat(49)}`;
    const done = request({
      state: 'done',
      approver: 'UAPP',
      reason: long,
      summary: { deleted: 1 } as never,
    });
    expect(auditLine(done, keys).text).toContain(`Reason: ${long}`);
    expect(text(ownerRevokedNotice(done, keys).blocks)).toContain(`Why: ${long}`);
    expect(text(ownerRevokedNotice({ ...done, reason: hostile }, keys).blocks)).toContain(`Why: ${shown}`);
  });

  it('say nothing of a reason when none was given', () => {
    const plainDenial = request({ state: 'denied', deniedBy: 'UAPP', deniedAt: NOW.toISOString() });
    expect(text(approvalMessage(plainDenial, keys, { users: ['UAPP'] }, NOW))).not.toContain('Reason');
    expect(requesterNotice(plainDenial, keys).text).not.toContain('Reason');
    expect(auditLine(plainDenial, keys).text).not.toContain('Reason');
  });
});

describe('the request and Deny modals', () => {
  const metadata = JSON.stringify({ k: 'stale', ref: { days: 90 }, c: 'C0ADMINS' });

  it('stay within Slack’s limits, whatever the key is called and however many vendors there are', () => {
    const counts = Array.from({ length: 40 }, (_, i) => ({
      label: `Vendor ${i}`,
      count: 9_999_999,
      tracksUse: i % 2 === 0,
    }));
    const modals = [
      requestModal({ kind: 'stale', days: 3650, type: 'api-key', counts }, metadata),
      requestModal({ kind: 'stale', days: 90, vendorLabel: 'IDmelon' }, metadata),
      requestModal(
        { kind: 'key', name: `<!channel> ${'*'.repeat(500)}`, id: 'k'.repeat(200), vendorLabel: 'IDmelon' },
        JSON.stringify({ k: 'key', ref: { v: 'idmelon', id: 'k'.repeat(200), n: 'x'.repeat(60) }, c: 'C1' }),
      ),
      denyModal('R-ABCDEFGH', JSON.stringify({ r: 'R-ABCDEFGH', c: 'CAPPROVALS' })),
    ];
    for (const modal of modals) expect(viewLimitViolations(modal)).toEqual([]);
    expect(text(modals[2])).not.toContain('<!channel>');
  });

  it('ask for a reason: required for all N and for a denial, optional for one key', () => {
    const reasonInput = (modal: Record<string, unknown>) =>
      (modal.blocks as Array<Record<string, unknown>>).find((b) => b.block_id === 'reason');
    expect(reasonInput(requestModal({ kind: 'stale', days: 90 }, metadata))).toMatchObject({
      optional: false,
      element: { min_length: 1, max_length: 500 },
    });
    expect(
      reasonInput(requestModal({ kind: 'key', id: 'k1', vendorLabel: 'IDmelon' }, metadata)),
    ).toMatchObject({ optional: true, element: { max_length: 500 } });
    expect(reasonInput(denyModal('R-ABCDEFGH', '{}'))).toMatchObject({
      element: { min_length: 3, max_length: 500 },
    });
  });

  it('are checked like Slack checks them', () => {
    const modal = denyModal('R-ABCDEFGH', 'x'.repeat(3001));
    expect(viewLimitViolations({ ...modal, title: { type: 'plain_text', text: 'x'.repeat(25) } })).toEqual([
      'title (1 to 24 chars)',
      'private_metadata too long',
    ]);
  });
});
