import { describe, expect, it } from 'vitest';
import type { RequestedKey, RevocationRequest } from '../../../src/domain/revocation.js';
import { approvalMessage, auditLine, requesterNotice } from '../../../src/features/revocation/blocks.js';

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
