import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IdmelonWorkspace } from '../../sandbox/idmelon/workspace.js';
import { blockLimitViolations } from '../../src/blocks/limits.js';
import { DAY_MS, fixedClock } from '../../src/domain/clock.js';
import { digestText, renderDigest, sparkline } from '../../src/features/digest/blocks.js';
import { expiringSoon, runScheduledDigest } from '../../src/features/digest/scheduled.js';
import { jsonLogger, SecretRedactor } from '../../src/log.js';
import { buildDigest, type DigestReport, digestIsEmpty } from '../../src/services/digest.js';
import { webApiSlack } from '../../src/slack/web-api.js';
import { JobLedger } from '../../src/store/jobs.js';
import { documentClient } from '../../src/store/table.js';
import { localTable } from '../helpers/dynamo.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { type IdmelonHarness, idmelonHarness } from '../helpers/idmelon.js';
import { RecordingMetrics } from '../helpers/metrics.js';

const logger = jsonLogger({ level: 'debug' });

/** What the sandbox's data says, counted directly: the oracle for every number in the digest. */
function oracle(ws: IdmelonWorkspace, report: DigestReport, staleDays: number) {
  const now = ws.now.getTime();
  const active = ws.keys.filter((k) => k.status === 20);
  const byType: Record<string, number> = {};
  for (const k of active) byType[k.type] = (byType[k.type] ?? 0) + 1;
  const inRange = (iso: string, start: string, end: string) => iso >= start && iso < end;
  const auth = ws.logs.filter((l) => l.action === 2);
  const week = auth.filter((l) => inRange(l.createdAt, report.week.start, report.week.end));
  const rpCounts = new Map<string, number>();
  for (const l of week) rpCounts.set(l.rpInfo.id, (rpCounts.get(l.rpInfo.id) ?? 0) + 1);
  return {
    users: {
      total: ws.users.length,
      activeTokens: ws.users.filter((u) => u.status === 'active').length,
      pendingTokens: ws.users.filter((u) => u.status === 'pending').length,
      noDeviceTokens: ws.users.filter((u) => !ws.keys.some((k) => k.ownerId === u._id)).length,
    },
    keys: {
      total: active.length,
      byType,
      stale: active.filter(
        (k) => k.lastActivityAt !== null && Date.parse(k.lastActivityAt) < now - staleDays * DAY_MS,
      ).length,
      neverUsed: active.filter((k) => k.lastActivityAt === null).length,
    },
    perDay: report.week.days.map((d) => ({
      date: d.date,
      count: auth.filter((l) => inRange(l.createdAt, d.start, d.end)).length,
    })),
    thisWeek: week.length,
    lastWeek: auth.filter((l) => inRange(l.createdAt, report.previousWeek.start, report.previousWeek.end))
      .length,
    failures: week.filter((l) => l.status !== 1).length,
    rpCounts,
  };
}

describe('weekly digest (IDmelon sandbox)', () => {
  let h: IdmelonHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function digestFor(
    now: string,
    timeZone: string,
    sandbox: Parameters<typeof idmelonHarness>[0] = {},
  ) {
    h = await idmelonHarness({ now: new Date(now), logs: 10_000, ...sandbox });
    const report = await buildDigest([h.provider], {
      clock: fixedClock(now),
      timeZone,
      staleDays: 90,
      logger,
    });
    return { report, ws: h.sandbox.workspace, section: report.sections[0] };
  }

  it('every number equals what the sandbox data implies', async () => {
    const { report, ws, section } = await digestFor('2026-11-23T09:00:00Z', 'Europe/Paris');
    const want = oracle(ws, report, 90);
    const data = section?.data as Record<string, Record<string, unknown>>;
    expect(data.users).toMatchObject(want.users);
    expect(data.keys).toEqual(want.keys);
    expect(data.signIns).toMatchObject({
      thisWeek: want.thisWeek,
      lastWeek: want.lastWeek,
      perDay: want.perDay,
      failures: want.failures,
    });
    const change = Math.round(((want.thisWeek - want.lastWeek) / want.lastWeek) * 1000) / 10;
    expect(data.signIns?.changePct).toBe(change);
    const rps = data.signIns?.relyingParties as Array<{ id: string; count: number }>;
    expect(rps.map((r) => r.id)).toEqual(
      [...want.rpCounts.entries()]
        .sort(([, a], [, b]) => b - a)
        .slice(0, 3)
        .map(([id]) => id),
    );
    for (const r of rps) expect(r.count).toBe(want.rpCounts.get(r.id));
    expect((data.statistics?.users as Record<string, number> | undefined)?.totalUsers).toBe(ws.users.length);
    expect(data.adminKeysExpiring).toEqual([
      { name: 'Keywarden', expiresAt: ws.apiKeys[0]?.expiresAt, daysLeft: 10 },
    ]);
    expect(section?.parts.map((p) => p.title)).toEqual([
      'Users',
      'Keys',
      'Sign-ins',
      'Statistics: users',
      'Statistics: security keys',
      'Statistics: groups',
      'Statistics: login',
      'Admin API keys',
    ]);
    expect(section?.parts.find((p) => p.title === 'Statistics: login')?.figures).toContainEqual({
      label: 'logins last 7 days',
      value: expect.any(Number),
    });
  });

  it('counts per local day across the week daylight saving ends (Vancouver, 25-hour 1 November)', async () => {
    const { report, ws, section } = await digestFor('2026-11-02T17:00:00Z', 'America/Vancouver');
    const want = oracle(ws, report, 90);
    expect(report.week.days.at(-1)?.date).toBe('2026-11-01');
    expect((section?.data.signIns as { perDay: unknown } | undefined)?.perDay).toEqual(want.perDay);
    expect(want.perDay.reduce((n, d) => n + d.count, 0)).toBe(want.thisWeek);
  });

  it('stays within 25 requests for a busy week and says failures were not counted', async () => {
    const { report, section } = await digestFor('2026-11-23T09:00:00Z', 'UTC', { logs: 40_000, logDays: 7 });
    const signIns = section?.data.signIns as { thisWeek: number; failures: number | null };
    expect(signIns.thisWeek).toBeGreaterThan(2000);
    expect(signIns.failures).toBeNull();
    expect(JSON.stringify(section?.parts)).toContain('Failed sign-ins not counted');
    expect(section?.requests).toBeLessThanOrEqual(25);
    expect(blockLimitViolations(renderDigest(report).blocks)).toEqual([]);
  });

  it('reports an empty workspace without dividing by zero', async () => {
    const { report, section } = await digestFor('2026-11-23T09:00:00Z', 'UTC', {
      users: 1,
      keys: 0,
      logs: 0,
    });
    expect(section?.data.keys).toMatchObject({ stale: 0, neverUsed: 0 });
    expect(section?.data.signIns).toMatchObject({
      thisWeek: 0,
      lastWeek: 0,
      changePct: 0,
      failures: 0,
      relyingParties: [],
    });
    expect(digestIsEmpty(report)).toBe(false);
    const blocks = renderDigest(report).blocks;
    expect(blockLimitViolations(blocks)).toEqual([]);
    expect(JSON.stringify(blocks)).toContain('0 sign-ins (no change)');
    expect(JSON.stringify(blocks)).not.toContain('Review stale keys');
  });

  it('lists the exemptions that end in the coming week, and only those', async () => {
    const { report } = await digestFor('2026-11-23T09:00:00Z', 'UTC', { users: 1, keys: 0, logs: 0 });
    const now = new Date('2026-11-23T09:00:00Z');
    const exemption = (keyId: string, days: number) => ({
      vendor: 'idmelon',
      keyId,
      keyName: `Key ${keyId}`,
      until: new Date(now.getTime() + days * 86_400_000).toISOString(),
      grantedBy: 'U1',
      reason: `kept for ${keyId}`,
      grantedAt: now.toISOString(),
      via: 'admin' as const,
    });
    const expiring = await expiringSoon(
      async () => [exemption('soon', 3), exemption('later', 30), exemption('gone', -1)],
      now,
      jsonLogger({ level: 'error' }),
    );
    expect(expiring?.map((e) => e.keyId)).toEqual(['soon']);
    const blocks = JSON.stringify(renderDigest(report, { expiring }).blocks);
    expect(blocks).toContain('Exemptions ending in the coming week');
    expect(blocks).toContain('Key soon');
    expect(blocks).not.toContain('Key later');
  });

  it('shows a failing endpoint as unavailable and keeps the rest', async () => {
    h = await idmelonHarness({ now: new Date('2026-11-23T09:00:00Z'), logs: 5_000 });
    h.sandbox.inject({
      fault: { kind: 'status', status: 503 },
      match: (r) => r.path === '/administrator/statistics/groups',
    });
    const report = await buildDigest([h.provider], {
      clock: fixedClock('2026-11-23T09:00:00Z'),
      timeZone: 'UTC',
      staleDays: 90,
      logger,
    });
    const parts = report.sections[0]?.parts ?? [];
    expect(parts.find((p) => p.title === 'Statistics: groups')).toEqual({
      title: 'Statistics: groups',
      unavailable: 'IDmelon is failing (server error) after 4 attempts. Try again later.',
    });
    expect(parts.filter((p) => p.unavailable)).toHaveLength(1);
    expect(JSON.stringify(renderDigest(report).blocks)).toContain('*Statistics: groups*: unavailable.');
    expect(digestText(report)).toContain('Statistics: groups: unavailable.');
  });

  it('offers "Review stale keys" with the stale count', async () => {
    const { report, ws } = await digestFor('2026-11-23T09:00:00Z', 'UTC');
    const want = oracle(ws, report, 90);
    const json = JSON.stringify(renderDigest(report).blocks);
    expect(json).toContain(
      `Review stale keys (${(want.keys.stale + want.keys.neverUsed).toLocaleString('en-US')})`,
    );
    expect(json).toContain('"action_id":"digest_review_stale_0"');
  });
});

describe('sparkline', () => {
  it('scales bars to the busiest day', () => {
    expect(sparkline([0, 1, 2, 4, 7])).toBe('▁▂▃▅█');
    expect(sparkline([0, 0, 0])).toBe('▁▁▁');
  });
});

describe('scheduled digest', () => {
  const slack = new FakeSlack();
  let db: Awaited<ReturnType<typeof localTable>>;
  let h: IdmelonHarness;
  beforeAll(async () => {
    await slack.start();
    db = await localTable();
    h = await idmelonHarness({ now: new Date('2026-11-23T09:00:00Z'), users: 100, keys: 300, logs: 500 });
  });
  afterAll(async () => {
    await h.close();
    await db.close();
    await slack.close();
  });

  const metrics = new RecordingMetrics();
  const deps = () => ({
    providers: async () => [h.provider],
    slack: webApiSlack({
      token: async () => 'xoxb-digest-0123456789',
      slackApiUrl: slack.apiUrl,
      logger,
      redactor: new SecretRedactor(),
    }),
    ledger: new JobLedger(documentClient(db.client), { table: db.table }),
    clock: fixedClock('2026-11-23T08:00:00Z'),
    logger,
    metrics,
    channel: 'CDIGEST',
    timeZone: 'Europe/Paris',
    staleDays: 90,
  });

  it('fails loudly, and can run again, when the digest cannot be posted', async () => {
    slack.fail('chat.postMessage', 'channel_not_found');
    await expect(runScheduledDigest(deps())).rejects.toThrow(/could not be posted/);
  });

  it('posts once per week, however often the schedule fires', async () => {
    const before = slack.callsOf('chat.postMessage').length;
    const first = await runScheduledDigest(deps());
    expect(first.status).toBe('posted');
    expect(await runScheduledDigest(deps())).toEqual({ status: 'duplicate' });
    // Counted from this test's own calls, so it holds alone and after a test whose post Slack refused.
    const posts = slack
      .callsOf('chat.postMessage')
      .slice(before)
      .filter((c) => c.args.channel === 'CDIGEST');
    expect(posts.length).toBe(1);
    expect(JSON.stringify(posts.at(-1)?.args.blocks)).toContain('Weekly digest: 2026-11-16 to 2026-11-22');
  });

  it('counts each run by outcome', async () => {
    metrics.clear();
    // Posted here, or already by the test before: either way the second run of the week is a duplicate.
    const first = await runScheduledDigest(deps());
    await runScheduledDigest(deps());
    await expect(runScheduledDigest({ ...deps(), channel: undefined })).rejects.toThrow();
    expect(metrics.find('DigestRuns').map((r) => r.dimensions.outcome)).toEqual([
      first.status,
      'duplicate',
      'failed',
    ]);
  });

  it('refuses to run with no digest channel', async () => {
    await expect(runScheduledDigest({ ...deps(), channel: undefined })).rejects.toThrow(
      'KEYWARDEN_DIGEST_CHANNEL is not set',
    );
  });
});
