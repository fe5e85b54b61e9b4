import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { EXIT_FAILED, EXIT_OK } from '../../../src/cli/run.js';
import { fixedClock } from '../../../src/domain/clock.js';
import { localArchiveDir, startLocalArchive } from '../../../src/local/archive.js';
import { startLocalBot } from '../../../src/local/bot.js';
import { startLocalDynamo } from '../../../src/local/dynamo.js';
import { jsonLogger } from '../../../src/log.js';
import { appendAudit, archiveAudit, verifyTrail } from '../../../src/services/audit.js';
import { AuditTrailStore } from '../../../src/store/audit.js';
import { documentClient } from '../../../src/store/table.js';
import { auditCli, revokeOneStaleKey } from '../../helpers/audit-flow.js';
import { FakeSlack } from '../../helpers/fake-slack.js';
import { clock } from '../../helpers/idmelon.js';

const SECRET = 'audit-archive-signing-secret-0123';
const DAY = 86_400;

/** What DynamoDB's TTL does once `now` is past an item's `expiresAt`: removes it. Returns what it removed. */
async function expireItems(dataDir: string, nowSeconds: number): Promise<Array<Record<string, unknown>>> {
  const dynamo = await startLocalDynamo({ table: 'keywarden', path: dataDir });
  try {
    const db = documentClient(dynamo.client);
    const { Items = [] } = await db.send(new ScanCommand({ TableName: 'keywarden' }));
    const expired = Items.filter((i) => typeof i.expiresAt === 'number' && i.expiresAt <= nowSeconds);
    for (const i of expired)
      await db.send(new DeleteCommand({ TableName: 'keywarden', Key: { pk: i.pk, sk: i.sk } }));
    return expired;
  } finally {
    await dynamo.close();
  }
}

describe('the audit archive', () => {
  it('keeps an archived-then-expired request verifiable end to end, from the archive and the table as one chain', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-archive-e2e-'));
    const slack = new FakeSlack();
    await slack.start();
    const start = (archiveEveryMs: number) =>
      startLocalBot({
        env: {
          SLACK_SIGNING_SECRET: SECRET,
          SLACK_BOT_TOKEN: 'xoxb-archive-0123',
          SLACK_API_URL: slack.apiUrl,
          KEYWARDEN_ADMINS: 'UADMIN1,UADMIN2',
          KEYWARDEN_APPROVERS: 'UADMIN2',
          KEYWARDEN_APPROVALS_CHANNEL: 'CAPPROVALS',
        },
        port: 0,
        dataDir,
        clock,
        vendors: ['idmelon'],
        sandbox: { users: 10, keys: 30, logs: 0 },
        sweepEveryMs: 0,
        policyCheckEveryMs: 0,
        archiveEveryMs,
        logger: jsonLogger({ level: 'warn' }),
      });
    let bot = await start(0);
    try {
      await revokeOneStaleKey(bot, slack, SECRET, {
        reason: 'left the company (1)',
        triggers: 'trigger-archive-1',
      });
      // Nothing archived yet: the events have no retention, so no TTL can remove them.
      expect(await bot.archiveAudit()).toBe(3);
      expect(await bot.archiveAudit()).toBe(0);
    } finally {
      await bot.close();
    }
    const archived = readdirSync(join(localArchiveDir(dataDir) as string, 'keywarden-audit', 'audit'));
    expect(archived.filter((f) => f.endsWith('.jsonl._S3rver_object'))).toEqual([
      '000000000001-000000000003.jsonl._S3rver_object',
    ]);

    // 401 days later the table's retention (400 days) has removed the request and its events, all but the chain's
    // head, which stays until a later event is archived.
    const later = Math.floor(clock.now().getTime() / 1000) + 401 * DAY;
    const removed = await expireItems(dataDir, later);
    expect(removed.filter((i) => i.pk === 'AUDIT').map((i) => i.seq)).toEqual([1, 2]);
    expect(removed.some((i) => String(i.pk).startsWith('REQ#'))).toBe(true);

    const fromArchive = await auditCli(['audit', 'verify'], dataDir);
    expect(fromArchive.out).toMatch(/^3 events, chain intact, head 3 [0-9a-f]{64}/);
    expect(fromArchive.code).toBe(EXIT_OK);

    // New decisions chain onto the head; the archiver, running at start-up and on its timer, archives them too.
    bot = await start(60_000);
    try {
      await revokeOneStaleKey(bot, slack, SECRET, {
        reason: 'left the company (2)',
        triggers: 'trigger-archive-2',
      });
    } finally {
      await bot.close();
    }
    const both = await auditCli(['audit', 'verify'], dataDir);
    expect(both.out).toMatch(/^6 events, chain intact, head 6 [0-9a-f]{64}/);
    const exported = await auditCli(['audit', 'export', '--format', 'jsonl'], dataDir);
    expect(exported.out.trim().split('\n')).toHaveLength(6);

    // The archive is the record: an archived object edited on disk breaks the chain where it was edited.
    const object = join(
      localArchiveDir(dataDir) as string,
      'keywarden-audit',
      'audit',
      '000000000001-000000000003.jsonl._S3rver_object',
    );
    writeFileSync(
      object,
      readFileSync(object, 'utf8').replace('left the company (1)', 'left the company (9)'),
    );
    const tampered = await auditCli(['audit', 'verify'], dataDir);
    expect(tampered.code).toBe(EXIT_FAILED);
    expect(tampered.out).toContain('chain broken at event 1 (changed)');
    await slack.close();
  });

  it('reports a table event that differs from its archived copy, and two archivers racing leave one chain', async () => {
    const dynamo = await startLocalDynamo({ table: 'keywarden' });
    const local = await startLocalArchive();
    try {
      const store = new AuditTrailStore(documentClient(dynamo.client), 'keywarden');
      const at = fixedClock('2026-11-20T09:00:00Z');
      for (let i = 0; i < 30; i++) await appendAudit(store, at, { type: 'test', subject: { i } });
      const deps = { store, archive: local.archive, retentionDays: 400 };
      const [a, b] = await Promise.all([archiveAudit(deps, { batch: 7 }), archiveAudit(deps, { batch: 7 })]);
      expect(a + b).toBeGreaterThanOrEqual(30);
      expect(await store.archivedThrough()).toBe(30);
      const live = await store.range(1, 100);
      expect(verifyTrail(await local.archive.read(1), live)).toMatchObject({ ok: true, count: 30 });
      // Every event now has its retention, counted from its own time.
      const { Item } = await documentClient(dynamo.client).send(
        new GetCommand({ TableName: 'keywarden', Key: { pk: 'AUDIT', sk: '000000000005' } }),
      );
      expect(Item?.expiresAt).toBe(Date.parse('2026-11-20T09:00:00Z') / 1000 + 400 * DAY);

      const edited = live.map((e) => (e.seq === 12 ? { ...e, subject: { i: 99 } } : e));
      expect(verifyTrail(await local.archive.read(1), edited)).toMatchObject({
        ok: false,
        seq: 12,
        kind: 'changed',
        detail: 'event 12 in the table differs from its archived copy',
      });
    } finally {
      await local.close();
      await dynamo.close();
    }
  });

  it('says which archived object is unreadable instead of walking it', async () => {
    const local = await startLocalArchive();
    try {
      const body = '{"seq":1,"not":"an event"}\n';
      await local.s3.send(
        new PutObjectCommand({
          Bucket: 'keywarden-audit',
          Key: 'audit/000000000001-000000000001.jsonl',
          Body: body,
          ContentMD5: createHash('md5').update(body).digest('base64'),
        }),
      );
      await expect(local.archive.read(1)).rejects.toThrow(
        "the archive's audit/000000000001-000000000001.jsonl line 1 is not an audit event",
      );
    } finally {
      await local.close();
    }
  });
});
