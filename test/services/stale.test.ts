import { afterEach, describe, expect, it } from 'vitest';
import type { IdmelonWorkspace } from '../../sandbox/idmelon/workspace.js';
import { DAY_MS } from '../../src/domain/clock.js';
import { READ_AHEAD_PAGES } from '../../src/providers/idmelon/provider.js';
import { scanStaleKeys } from '../../src/services/stale.js';
import { clock, type IdmelonHarness, idmelonHarness, NOW } from '../helpers/idmelon.js';

/** What the sandbox's own data says the answer is: the oracle the scan is checked against. */
function expected(workspace: IdmelonWorkspace, days: number, type?: string) {
  const cutoff = NOW.getTime() - days * DAY_MS;
  const active = workspace.keys.filter((k) => k.status === 20 && (!type || k.type === type));
  const stale = active
    .filter((k) => k.lastActivityAt !== null && Date.parse(k.lastActivityAt) < cutoff)
    .sort((a, b) => Date.parse(a.lastActivityAt as string) - Date.parse(b.lastActivityAt as string));
  const neverUsed = active.filter((k) => k.lastActivityAt === null);
  return { stale: stale.map((k) => k._id), neverUsed: neverUsed.map((k) => k._id).sort() };
}

describe('stale keys (IDmelon)', () => {
  let h: IdmelonHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('finds exactly the keys unused for N days, oldest first, and never-used keys apart', async () => {
    h = await idmelonHarness();
    const report = await scanStaleKeys([h.provider], { days: 90, clock });
    const section = report.sections[0];
    const want = expected(h.sandbox.workspace, 90);
    expect(section?.failure).toBeUndefined();
    expect(section?.stale.map((k) => k.id)).toEqual(want.stale);
    expect(section?.neverUsed.map((k) => k.id).sort()).toEqual(want.neverUsed);
    expect(want.stale.length).toBeGreaterThan(300);
    expect(want.neverUsed.length).toBeGreaterThan(200);
    expect(report.totals).toEqual({ stale: want.stale.length, neverUsed: want.neverUsed.length });
    expect(report.cutoff).toBe('2026-08-25T12:00:00.000Z');
  });

  it('counts by type and names the oldest key', async () => {
    h = await idmelonHarness();
    const report = await scanStaleKeys([h.provider], { days: 90, clock });
    const section = report.sections[0];
    const byType: Record<string, { stale: number; neverUsed: number }> = {};
    for (const k of section?.stale ?? [])
      byType[k.type] = { stale: (byType[k.type]?.stale ?? 0) + 1, neverUsed: byType[k.type]?.neverUsed ?? 0 };
    for (const k of section?.neverUsed ?? [])
      byType[k.type] = { stale: byType[k.type]?.stale ?? 0, neverUsed: (byType[k.type]?.neverUsed ?? 0) + 1 };
    expect(section?.byType).toEqual(byType);
    expect(Object.keys(byType).sort()).toEqual(['badge', 'desktop', 'phone']);
    const oldestId = expected(h.sandbox.workspace, 90).stale[0];
    const oldest = h.sandbox.workspace.keys.find((k) => k._id === oldestId);
    expect(section?.oldest?.id).toBe(oldest?._id);
    expect(section?.oldest?.lastUsedAt).toBe(oldest?.lastActivityAt);
  });

  it('stops at the first fresh key: one request per 100 stale keys plus one, and a window less one read ahead at most', async () => {
    h = await idmelonHarness();
    const report = await scanStaleKeys([h.provider], { days: 90, clock });
    const section = report.sections[0];
    const found = (section?.stale.length ?? 0) + (section?.neverUsed.length ?? 0);
    const needed = Math.floor(found / 100) + 1;
    expect(section?.scan).toBe('sorted');
    expect(section?.requests).toBeGreaterThanOrEqual(needed);
    expect(section?.requests).toBeLessThanOrEqual(needed + READ_AHEAD_PAGES - 1);
    // A read-ahead request cancelled before it was written never reaches the sandbox.
    expect(h.sandbox.server.count('/administrator/securityDevice')).toBeLessThanOrEqual(
      section?.requests ?? 0,
    );
    const active = h.sandbox.workspace.keys.filter((k) => k.status === 20).length;
    expect(section?.requests).toBeLessThan(active / 100 / 2);
  });

  it('reads exactly one request per 100 stale keys plus one with read-ahead off', async () => {
    h = await idmelonHarness({}, { readAhead: 1 });
    const report = await scanStaleKeys([h.provider], { days: 90, clock });
    const section = report.sections[0];
    const found = (section?.stale.length ?? 0) + (section?.neverUsed.length ?? 0);
    expect(section?.requests).toBe(Math.floor(found / 100) + 1);
    expect(h.sandbox.server.count('/administrator/securityDevice')).toBe(section?.requests);
  });

  it('asks only for active keys, sorted by last use ascending', async () => {
    h = await idmelonHarness({ users: 50, keys: 300 });
    await scanStaleKeys([h.provider], { days: 30, clock });
    const q = new URLSearchParams(h.sandbox.server.requests[0]?.query);
    expect(q.get('status')).toBe('20');
    expect(q.get('sort')).toBe('lastActivity,ascend');
  });

  it('handles a server that caps pages below the limit asked for', async () => {
    h = await idmelonHarness({ pageCap: 37 });
    const report = await scanStaleKeys([h.provider], { days: 90, clock });
    const want = expected(h.sandbox.workspace, 90);
    expect(report.sections[0]?.stale.map((k) => k.id)).toEqual(want.stale);
    expect(report.sections[0]?.neverUsed.map((k) => k.id).sort()).toEqual(want.neverUsed);
    const found = want.stale.length + want.neverUsed.length;
    const needed = Math.floor(found / 37) + 1;
    expect(report.sections[0]?.requests).toBeGreaterThanOrEqual(needed);
    expect(report.sections[0]?.requests).toBeLessThanOrEqual(needed + READ_AHEAD_PAGES - 1);
    // Every page after the first is asked for with the capped size, so none overlaps the one before.
    const limits = h.sandbox.server.requests.map((r) => new URLSearchParams(r.query).get('limit'));
    expect(limits.slice(1).every((l) => l === '37')).toBe(true);
  });

  it('filters by key type', async () => {
    h = await idmelonHarness();
    const report = await scanStaleKeys([h.provider], { days: 180, type: 'badge', clock });
    const want = expected(h.sandbox.workspace, 180, 'badge');
    expect(report.sections[0]?.stale.map((k) => k.id)).toEqual(want.stale);
    expect(report.sections[0]?.neverUsed.map((k) => k.id).sort()).toEqual(want.neverUsed);
    expect(Object.keys(report.sections[0]?.byType ?? {})).toEqual(['badge']);
  });

  it('falls back to reading every key when the sort comes back out of order, and says so', async () => {
    h = await idmelonHarness({ brokenSort: true });
    const report = await scanStaleKeys([h.provider], { days: 90, clock });
    const section = report.sections[0];
    const want = expected(h.sandbox.workspace, 90);
    expect(section?.scan).toBe('full');
    expect(section?.note).toMatch(/out of last-use order/);
    expect(section?.stale.map((k) => k.id)).toEqual(want.stale);
    expect(section?.neverUsed.map((k) => k.id).sort()).toEqual(want.neverUsed);
  });

  it('retries through a 429 and a 500 during the scan and still gives the exact set', async () => {
    h = await idmelonHarness();
    h.sandbox.inject({ fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } }, times: 1 });
    h.sandbox.inject({ fault: { kind: 'status', status: 500 }, times: 1 });
    const report = await scanStaleKeys([h.provider], { days: 90, clock });
    expect(report.sections[0]?.failure).toBeUndefined();
    expect(report.sections[0]?.stale.map((k) => k.id)).toEqual(expected(h.sandbox.workspace, 90).stale);
    expect(h.sleeps[0]).toBe(1000);
  });

  it('reports a vendor that keeps failing as a failed section with one plain sentence', async () => {
    h = await idmelonHarness();
    h.sandbox.inject({ fault: { kind: 'status', status: 503 } });
    const report = await scanStaleKeys([h.provider], { days: 90, clock });
    expect(report.sections[0]?.failure).toEqual({
      message: 'IDmelon is failing (server error) after 4 attempts. Try again later.',
      code: 'server_error',
    });
    expect(report.totals).toEqual({ stale: 0, neverUsed: 0 });
  });

  it('reports an empty workspace as nothing stale', async () => {
    h = await idmelonHarness({ users: 1, keys: 0, logs: 0 });
    const report = await scanStaleKeys([h.provider], { days: 90, clock });
    expect(report.sections[0]).toMatchObject({ stale: [], neverUsed: [], oldest: null, requests: 1 });
  });
});
