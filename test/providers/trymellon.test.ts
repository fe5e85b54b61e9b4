import { afterEach, describe, expect, it } from 'vitest';
import { startTryMellonSandbox, type TryMellonSandbox } from '../../sandbox/trymellon/index.js';
import { DAY_MS, fixedClock } from '../../src/domain/clock.js';
import { Deadline, newMeter } from '../../src/domain/deadline.js';
import { staticSecret } from '../../src/http/credentials.js';
import { HttpStatusError, UnauthorizedError } from '../../src/http/errors.js';
import { undiciTransport } from '../../src/http/transport.js';
import { jsonLogger } from '../../src/log.js';
import { createTryMellonProvider } from '../../src/providers/trymellon/index.js';
import type { TryMellonProvider } from '../../src/providers/trymellon/provider.js';
import { buildDigest } from '../../src/services/digest.js';
import { lookupUser } from '../../src/services/lookup.js';
import { scanStaleKeys } from '../../src/services/stale.js';
import { fastRetry, NOW } from '../helpers/idmelon.js';

const logger = jsonLogger({ level: 'debug' });
const ctx = () => ({ deadline: Deadline.after(30_000), meter: newMeter() });

describe('TryMellon', () => {
  let sb: TryMellonSandbox | undefined;
  const transport = undiciTransport();
  let sleeps: number[] = [];
  afterEach(async () => {
    await sb?.close();
    sb = undefined;
    sleeps = [];
  });

  async function setup(
    options: Parameters<typeof startTryMellonSandbox>[0] = {},
    secret?: string,
  ): Promise<TryMellonProvider> {
    sb = await startTryMellonSandbox({ now: NOW, users: 120, events: 3000, ...options });
    return createTryMellonProvider({
      baseUrl: sb.url,
      clientId: staticSecret(sb.clientId),
      clientSecret: staticSecret(secret ?? sb.clientSecret),
      transport,
      retry: fastRetry,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
  }

  it('finds exactly the active passkeys unused for N days, walking users page by page', async () => {
    const p = await setup();
    const report = await scanStaleKeys([p], { days: 90, clock: fixedClock(NOW) });
    const cutoff = NOW.getTime() - 90 * DAY_MS;
    const active = sb?.workspace.credentials.filter((c) => c.status === 'active') ?? [];
    const stale = active
      .filter((c) => c.last_used_at !== null && Date.parse(c.last_used_at) < cutoff)
      .map((c) => c.credential_id);
    const never = active.filter((c) => c.last_used_at === null).map((c) => c.credential_id);
    const s = report.sections[0];
    expect(s?.stale.map((k) => k.id).sort()).toEqual(stale.sort());
    expect(s?.neverUsed.map((k) => k.id).sort()).toEqual(never.sort());
    expect(s?.stale.every((k) => k.type === 'passkey' && k.owner.id)).toBe(true);
    // 2 pages of users (100 + 20), then one credentials page per user.
    expect(sb?.server.count('/v1/users')).toBe(2);
    expect(sb?.server.count(/\/credentials$/)).toBe(120);
  });

  it('gets one token and reuses it, then fetches a new one once after a 401', async () => {
    const p = await setup({ users: 10, events: 10 });
    await scanStaleKeys([p], { days: 90, clock: fixedClock(NOW) });
    expect(sb?.tokensIssued()).toBe(1);
    sb?.revokeTokens();
    const report = await scanStaleKeys([p], { days: 90, clock: fixedClock(NOW) });
    expect(report.sections[0]?.failure).toBeUndefined();
    expect(sb?.tokensIssued()).toBe(2);
  });

  it('surfaces refused client credentials as a typed error carrying TryMellon’s code', async () => {
    const p = await setup({ users: 5, events: 0 }, 'wrong-secret-0123456789');
    const err = await p.findUsers('alice@acme.example', ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(err).toMatchObject({ vendorCode: 'unauthorized', vendor: 'trymellon' });
  });

  it('turns an error envelope into a typed error with its code and message', async () => {
    const p = await setup({ users: 5, events: 0 });
    const err = await p.client.usage('November', { meter: newMeter() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err).toMatchObject({
      status: 400,
      vendorCode: 'validation_error',
      vendorMessage: 'period must be YYYY-MM',
    });
  });

  it('honours Retry-After on 429', async () => {
    const p = await setup({ users: 10, events: 0 });
    sb?.inject({
      fault: {
        kind: 'status',
        status: 429,
        headers: { 'retry-after': '3' },
        body: { ok: false, error: { code: 'rate_limited', message: 'slow down' } },
      },
      times: 1,
      match: (r) => r.path === '/v1/users',
    });
    const report = await scanStaleKeys([p], { days: 90, clock: fixedClock(NOW) });
    expect(report.sections[0]?.failure).toBeUndefined();
    expect(sleeps).toContain(3000);
  });

  it('looks a user up by external id, with passkeys and recent events; none for an unknown id', async () => {
    const p = await setup();
    const found = await lookupUser([p], 'alice@acme.example');
    const r = found.results[0];
    expect(r?.kind).toBe('found');
    if (r?.kind === 'found') {
      expect(r.profile.keys).toHaveLength(2);
      expect(r.profile.events?.length).toBeGreaterThan(0);
    }
    expect((await lookupUser([p], 'nobody@nowhere.example')).results[0]?.kind).toBe('none');
  });

  it('revokes a passkey with a DELETE (204), and reports one already revoked as already gone', async () => {
    const p = await setup({ users: 5, events: 0 });
    const c = sb?.workspace.credentials.find((x) => x.status === 'active');
    if (!c) throw new Error('no active credential');
    const ref = { vendor: 'trymellon' as const, id: c.credential_id, ownerId: c.userExternalId };
    expect(await p.revoke([ref], ctx())).toEqual([{ id: c.credential_id, outcome: 'deleted' }]);
    expect(await p.revoke([ref], ctx())).toEqual([{ id: c.credential_id, outcome: 'already_gone' }]);
    expect(sb?.revocations).toEqual([c.credential_id]);
    expect((await p.currentKeys([ref], {}, ctx())).get(c.credential_id)).toBeNull();
  });

  it("digests the week's audit events by type, security ones highlighted, and the month's usage", async () => {
    const p = await setup({ users: 50, events: 4000 });
    const report = await buildDigest([p], { clock: fixedClock(NOW), timeZone: 'UTC', staleDays: 90, logger });
    const events = sb?.workspace.events ?? [];
    const inWeek = events.filter((e) => e.created_at >= report.week.start && e.created_at < report.week.end);
    const byType: Record<string, number> = {};
    for (const e of inWeek) byType[e.event] = (byType[e.event] ?? 0) + 1;
    const data = report.sections[0]?.data as {
      auditEvents: { week: Record<string, number>; partial: boolean };
      usage: { api_calls: number };
    };
    expect(data.auditEvents.week).toEqual(byType);
    expect(data.auditEvents.partial).toBe(false);
    expect(data.usage.api_calls).toBe(events.filter((e) => e.created_at.startsWith('2026-11')).length * 3);
    const warnings = report.sections[0]?.parts[0]?.warnings ?? [];
    expect(warnings.some((w) => w.startsWith(`auth.failed: ${byType['auth.failed']} this week`))).toBe(true);
  });
});
