import { afterEach, describe, expect, it } from 'vitest';
import { type SolvimonSandbox, startSolvimonSandbox } from '../../sandbox/solvimon/index.js';
import { DAY_MS, fixedClock } from '../../src/domain/clock.js';
import { Deadline, newMeter } from '../../src/domain/deadline.js';
import { staticSecret } from '../../src/http/credentials.js';
import { undiciTransport } from '../../src/http/transport.js';
import { createSolvimonProvider } from '../../src/providers/solvimon/index.js';
import type { SolvimonProvider } from '../../src/providers/solvimon/provider.js';
import { lookupUser } from '../../src/services/lookup.js';
import { scanStaleKeys } from '../../src/services/stale.js';
import { fastRetry, NOW } from '../helpers/idmelon.js';

const ctx = () => ({ deadline: Deadline.after(30_000), meter: newMeter() });

describe('Solvimon', () => {
  let sb: SolvimonSandbox | undefined;
  const transport = undiciTransport();
  afterEach(async () => {
    // Whatever a test did, Keywarden never asked for a decrypted key.
    expect(sb?.server.count(/decrypt/)).toBe(0);
    await sb?.close();
    sb = undefined;
  });

  async function setup(
    o: { platformId?: string; deactivateBody?: Record<string, unknown>; apiKey?: string } = {},
  ): Promise<SolvimonProvider> {
    sb = await startSolvimonSandbox({ now: NOW, platformId: o.platformId });
    return createSolvimonProvider({
      baseUrl: sb.url,
      apiKey: staticSecret(o.apiKey ?? sb.apiKey),
      platformId: o.platformId,
      transport,
      retry: fastRetry,
      deactivateBody: o.deactivateBody,
      sleep: async () => {},
    });
  }

  it('calls active keys created more than N days ago stale, and says what stale means here', async () => {
    const p = await setup();
    const report = await scanStaleKeys([p], { days: 90, clock: fixedClock(NOW) });
    const cutoff = NOW.getTime() - 90 * DAY_MS;
    const want = sb?.keys
      .filter((k) => k.status === 'ACTIVE' && Date.parse(k.created_at) < cutoff)
      .map((k) => k.id);
    const s = report.sections[0];
    expect(s?.stale.map((k) => k.id).sort()).toEqual(want?.sort());
    expect(s?.neverUsed).toEqual([]);
    expect(s?.meaning).toMatch(/record no last use/);
    expect(s?.stale[0]?.lastUsedAt).toBeUndefined();
  });

  it('never shows an API key beyond its last 4 characters', async () => {
    const p = await setup();
    const report = await scanStaleKeys([p], { days: 1, clock: fixedClock(NOW) });
    const json = JSON.stringify(report);
    for (const k of sb?.keys ?? []) expect(json).not.toContain(k.api_key);
  });

  it('looks a user up by username through search', async () => {
    const p = await setup();
    const report = await lookupUser([p], 'alice@acme.example');
    const r = report.results[0];
    expect(r?.kind).toBe('found');
    const mine = sb?.keys
      .filter((k) => k.username === 'alice@acme.example')
      .map((k) => k.id)
      .sort();
    if (r?.kind === 'found') expect(r.profile.keys.map((k) => k.id).sort()).toEqual(mine);
    expect(
      sb?.server.requests.some(
        (q) =>
          q.path === '/v1/api-keys/search' &&
          (q.body as { username: string }).username === 'alice@acme.example',
      ),
    ).toBe(true);
    expect((await lookupUser([p], 'nobody')).results[0]?.kind).toBe('none');
  });

  it('revokes with PATCH and the default body; an inactive key reads as gone', async () => {
    const p = await setup();
    const key = sb?.keys.find((k) => k.status === 'ACTIVE');
    if (!key) throw new Error('no active key');
    const ref = { vendor: 'solvimon' as const, id: key.id };
    expect(await p.revoke([ref], ctx())).toEqual([{ id: key.id, outcome: 'deleted' }]);
    expect(sb?.patches).toEqual([{ id: key.id, body: { status: 'INACTIVE' } }]);
    expect((await p.currentKeys([ref], {}, ctx())).get(key.id)).toBeNull();
  });

  it('uses a configured deactivating body, and says so when the key stays active', async () => {
    const p = await setup({ deactivateBody: { active: false, status: 'ACTIVE' } });
    const key = sb?.keys.find((k) => k.status === 'ACTIVE');
    if (!key) throw new Error('no active key');
    const [result] = await p.revoke([{ vendor: 'solvimon', id: key.id }], ctx());
    expect(result).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/still active/) });
    expect(sb?.patches[0]?.body).toEqual({ active: false, status: 'ACTIVE' });
  });

  it('sends x-platform-id when configured', async () => {
    const p = await setup({ platformId: 'plat_123' });
    const report = await scanStaleKeys([p], { days: 90, clock: fixedClock(NOW) });
    expect(report.sections[0]?.failure).toBeUndefined();
  });

  it('retries a 429 after Retry-After and a 503, then answers', async () => {
    const p = await setup();
    sb?.inject({ fault: { kind: 'status', status: 429, headers: { 'retry-after': '0' } }, times: 1 });
    sb?.inject({ fault: { kind: 'status', status: 503 }, times: 1 });
    const report = await scanStaleKeys([p], { days: 90, clock: fixedClock(NOW) });
    expect(report.sections[0]?.failure).toBeUndefined();
    expect(sb?.server.count('/v1/api-keys')).toBe(3);
  });

  it('reports a refused API key plainly', async () => {
    const p = await setup({ apiKey: 'not-the-right-key-0123' });
    const report = await scanStaleKeys([p], { days: 90, clock: fixedClock(NOW) });
    expect(report.sections[0]?.failure?.message).toMatch(/^Solvimon refused Keywarden's credential \(401\)/);
  });
});
