import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_FAILED, EXIT_OK } from '../../../src/cli/run.js';
import { fixedClock } from '../../../src/domain/clock.js';
import { startLocalBot } from '../../../src/local/bot.js';
import { startLocalDynamo } from '../../../src/local/dynamo.js';
import { jsonLogger } from '../../../src/log.js';
import { appendAudit, verifyChain } from '../../../src/services/audit.js';
import { AuditTrailStore } from '../../../src/store/audit.js';
import { documentClient } from '../../../src/store/table.js';
import { auditCli, revokeOneStaleKey, shownAudit } from '../../helpers/audit-flow.js';
import { FakeSlack } from '../../helpers/fake-slack.js';
import { clock } from '../../helpers/idmelon.js';
import {
  type Button,
  post,
  pressBody,
  signedHeaders,
  slashCommandBody,
} from '../../helpers/slack-requests.js';

const SECRET = 'audit-trail-signing-secret-01234';

describe('the audit trail of a revocation', () => {
  it('records the request, the approval and the outcome in one chain that verifies, exports and catches tampering', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-audit-'));
    const slack = new FakeSlack();
    await slack.start();
    const bot = await startLocalBot({
      env: {
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: 'xoxb-audit-0123',
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
      logger: jsonLogger({ level: 'warn' }),
    });
    try {
      await revokeOneStaleKey(bot, slack, SECRET, {
        reason: '=HYPERLINK("evil")',
        triggers: 'trigger-audit',
      });
      // An admin reads the recent events in Slack, privately.
      const shown = await shownAudit(bot, slack, SECRET, 'UADMIN1');
      for (const type of ['request.raised', 'request.approved', 'request.executed'])
        expect(shown).toContain(type);
      expect(shown).toContain('<@UADMIN2>');
    } finally {
      await bot.close();
      await slack.close();
    }

    const verified = await auditCli(['audit', 'verify'], dataDir);
    expect(verified.code).toBe(EXIT_OK);
    expect(verified.out).toMatch(/^3 events, chain intact, head 3 [0-9a-f]{64}/);

    const exported = await auditCli(['audit', 'export'], dataDir);
    const lines = exported.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; actor?: { user?: string } });
    expect(lines.map((l) => l.type)).toEqual(['request.raised', 'request.approved', 'request.executed']);
    expect(lines[1]?.actor?.user).toBe('UADMIN2');
    const file = join(dataDir, 'audit.jsonl');
    writeFileSync(file, exported.out);
    expect((await auditCli(['audit', 'verify', '--file', file], dataDir)).code).toBe(EXIT_OK);
    writeFileSync(file, exported.out.replace('"UADMIN2"', '"UADMIN9"'));
    const broken = await auditCli(['audit', 'verify', '--file', file], dataDir);
    expect(broken.code).toBe(EXIT_FAILED);
    expect(broken.out).toContain('chain broken at event 2 (changed)');

    const csv = await auditCli(['audit', 'export', '--csv'], dataDir);
    expect(csv.out.split('\n')[0]).toBe('seq,at,type,actor_user,actor_team,subject,prev,hash');
    // The reason a requester typed is data, never a formula.
    expect(csv.out).not.toMatch(/(^|,)=HYPERLINK/m);
    expect(readFileSync(file, 'utf8')).toContain('UADMIN9');
  });

  it('records a refused command and a refused button press, with who tried', async () => {
    const slack = new FakeSlack();
    await slack.start();
    const bot = await startLocalBot({
      env: {
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        KEYWARDEN_ADMINS: 'UADMIN1',
      },
      port: 0,
      dataDir: null,
      clock,
      vendors: ['idmelon'],
      sandbox: { users: 5, keys: 5, logs: 0 },
      sweepEveryMs: 0,
      policyCheckEveryMs: 0,
      archiveEveryMs: 0,
      logger: jsonLogger({ level: 'error' }),
    });
    try {
      const refusedHook = slack.responseUrl();
      const body = slashCommandBody({
        command: '/keys',
        text: 'stale 90',
        user_id: 'UOUTSIDER',
        response_url: refusedHook,
      });
      const res = await post(bot.url, body, signedHeaders(SECRET, body));
      expect(res.text).toContain('is for Keywarden admins');
      const press = pressBody(
        'UOUTSIDER',
        { action_id: 'audit_more', value: '5' } as Button,
        'C0ADMINS',
        slack.responseUrl(),
        'trigger-refused',
      );
      await post(bot.url, press, signedHeaders(SECRET, press));
      await bot.queue.idle();
      const shown = await shownAudit(bot, slack, SECRET, 'UADMIN1');
      expect(shown.match(/access\.refused/g)).toHaveLength(2);
      expect(shown).toContain('<@UOUTSIDER>');
      expect(shown).toContain('/keys');
    } finally {
      await bot.close();
      await slack.close();
    }
  });

  it('twenty appenders at once on dynalite make one unbroken chain', async () => {
    const dynamo = await startLocalDynamo({ table: 'keywarden' });
    try {
      const store = new AuditTrailStore(documentClient(dynamo.client), 'keywarden');
      const at = fixedClock('2026-11-20T09:00:00Z');
      await Promise.all(
        Array.from({ length: 20 }, (_, w) =>
          (async () => {
            for (let i = 0; i < 5; i++) await appendAudit(store, at, { type: 'test', subject: { w, i } });
          })(),
        ),
      );
      const events = await store.range(1, 1_000);
      expect(verifyChain(events)).toMatchObject({ ok: true, count: 100 });
    } finally {
      await dynamo.close();
    }
  });
});
