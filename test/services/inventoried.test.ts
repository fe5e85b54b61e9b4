import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/domain/clock.js';
import { Deadline, newMeter } from '../../src/domain/deadline.js';
import { silentLogger } from '../../src/domain/logger.js';
import type { ReadSource } from '../../src/domain/provider.js';
import { inventoried } from '../../src/services/inventoried.js';
import { lookupUser } from '../../src/services/lookup.js';
import { scanStaleKeys } from '../../src/services/stale.js';
import { lastFullDays } from '../../src/util/zoned.js';
import { clock, type IdmelonHarness, idmelonHarness, NOW } from '../helpers/idmelon.js';
import { idmelonInventory, MemoryInventory } from '../helpers/inventory.js';

const HOUR = 3_600_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const ctx = () => ({ deadline: Deadline.after(10_000), meter: newMeter() });

describe('reads through the inventory', () => {
  let h: IdmelonHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function setUp(refreshedAgoMs: number | null, maxAgeMs = HOUR) {
    h = await idmelonHarness();
    const inventory = new MemoryInventory();
    if (refreshedAgoMs !== null)
      await inventory.publishSnapshot('idmelon', idmelonInventory(h.sandbox.workspace), ago(refreshedAgoMs));
    const provider = inventoried(h.provider, inventory, { maxAgeMs, clock });
    return { harness: h, inventory, provider };
  }

  it('answers /keys stale from a fresh inventory without a single vendor request, as of its refresh', async () => {
    const { harness, provider } = await setUp(20 * 60_000);
    const report = await scanStaleKeys([provider], { days: 90, clock });
    const section = report.sections[0];
    expect(harness.sandbox.server.requests).toHaveLength(0);
    expect(section?.read).toEqual({ from: 'inventory', asOf: ago(20 * 60_000) });
    // The same keys a live scan finds: the sandbox's own data is the oracle for both.
    const live = await scanStaleKeys([harness.provider], { days: 90, clock });
    expect(section?.stale.map((k) => k.id)).toEqual(live.sections[0]?.stale.map((k) => k.id));
    expect(section?.neverUsed.map((k) => k.id).sort()).toEqual(
      live.sections[0]?.neverUsed.map((k) => k.id).sort(),
    );
  });

  it('lists the digest’s stale keys from a fresh inventory: one request for the vendor’s totals, no page of keys', async () => {
    const { harness, provider } = await setUp(20 * 60_000);
    const input = {
      week: lastFullDays(NOW.getTime(), 'UTC', 7, 0),
      previousWeek: lastFullDays(NOW.getTime(), 'UTC', 7, 1),
      staleDays: 90,
      now: NOW,
    };
    const digest = await provider.digest(input, ctx(), silentLogger);
    const keyListings = harness.sandbox.server.requests.filter(
      (r) => r.path === '/administrator/securityDevice',
    );
    expect(keyListings.map((r) => new URLSearchParams(r.query).get('limit'))).toEqual(['1']);
    const keys = digest.parts.find((p) => p.title === 'Keys');
    const live = await inventoried(harness.provider, new MemoryInventory(), { maxAgeMs: 0, clock }).digest(
      input,
      ctx(),
      silentLogger,
    );
    // The same figures as the vendor's own listing gives, and the line that says where they came from.
    expect(keys?.figures).toEqual(live.parts.find((p) => p.title === 'Keys')?.figures);
    expect(keys?.lines).toContain(
      `Idle and never-used counts from Keywarden's inventory, as of ${ago(20 * 60_000).slice(0, 10)} ${ago(20 * 60_000).slice(11, 16)} UTC.`,
    );
  });

  it('refuses an inventory older than the maximum age, reads live and says why', async () => {
    const { harness, inventory, provider } = await setUp(3 * HOUR);
    const report = await scanStaleKeys([provider], { days: 90, clock });
    expect(harness.sandbox.server.requests.length).toBeGreaterThan(0);
    expect(inventory.reads).toBe(0);
    expect(report.sections[0]?.read).toEqual({
      from: 'live',
      fallback: 'the inventory is 3 h old, older than 1 h: read live',
    });
  });

  it('reads live before the first full sync is published, and says so', async () => {
    const { provider } = await setUp(null);
    const listing = await provider.listStale({ cutoff: new Date(NOW.getTime() - 90 * DAY_MS) }, ctx());
    expect(listing.read).toEqual({ from: 'live', fallback: 'the inventory is not built yet: read live' });
  });

  it('does not see a generation that is still being built', async () => {
    const { harness, provider, inventory } = await setUp(null);
    await inventory.startBuild(
      'idmelon',
      { generation: 'g-2', startedAt: ago(60_000), ranges: [{ id: 'a', kind: 'all' }] },
      60_000,
    );
    const listing = await provider.listStale({ cutoff: new Date(NOW.getTime() - 90 * DAY_MS) }, ctx());
    expect(listing.read?.from).toBe('live');
    expect(harness.sandbox.server.requests.length).toBeGreaterThan(0);
  });

  it('--live asks the vendor whatever the inventory’s age', async () => {
    const { harness, inventory, provider } = await setUp(60_000);
    const report = await scanStaleKeys([provider], { days: 90, clock, live: true });
    expect(harness.sandbox.server.count('/administrator/securityDevice')).toBeGreaterThan(0);
    expect(inventory.reads).toBe(0);
    expect(report.live).toBe(true);
    expect(report.sections[0]?.read).toEqual({ from: 'live' });
  });

  it('never reads the inventory when the maximum age is 0', async () => {
    const { inventory, provider } = await setUp(0, 0);
    await scanStaleKeys([provider], { days: 90, clock });
    expect(inventory.reads).toBe(0);
  });

  it('confirms known keys (a listing with `wanted`) at the vendor only', async () => {
    const { harness, inventory, provider } = await setUp(60_000);
    const some = idmelonInventory(harness.sandbox.workspace).keys.slice(0, 3);
    await provider.listStale(
      { cutoff: new Date(NOW.getTime() - 90 * DAY_MS), wanted: new Set(some.map((k) => k.id)) },
      ctx(),
    );
    expect(inventory.reads).toBe(0);
    expect(harness.sandbox.server.requests.length).toBeGreaterThan(0);
  });

  it('checks keys live for revocation, whatever the inventory holds', async () => {
    const { harness, inventory, provider } = await setUp(60_000);
    const [key] = idmelonInventory(harness.sandbox.workspace).keys;
    const current = await provider.currentKeys(
      [{ vendor: 'idmelon', id: key?.id as string, ownerId: key?.owner.id }],
      {},
      ctx(),
    );
    expect(current.get(key?.id as string)?.id).toBe(key?.id);
    expect(inventory.reads).toBe(0);
    expect(harness.sandbox.server.requests.length).toBeGreaterThan(0);
  });

  it('reads live when the inventory cannot be read, and says so', async () => {
    const { harness, provider, inventory } = await setUp(60_000);
    inventory.idleKeys = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };
    const report = await scanStaleKeys([provider], { days: 90, clock });
    expect(report.sections[0]?.failure).toBeUndefined();
    expect(report.sections[0]?.read).toEqual({
      from: 'live',
      fallback: 'the inventory could not be read: read live',
    });
    expect(harness.sandbox.server.requests.length).toBeGreaterThan(0);
  });

  describe('/user lookup', () => {
    it('finds people in a fresh inventory and reads the one found from the vendor', async () => {
      const { harness, provider } = await setUp(10 * 60_000);
      const alice = harness.sandbox.workspace.users.find((u) => u.email === 'alice@acme.example');
      const report = await lookupUser([provider], 'alice@acme.example');
      const [r] = report.results;
      expect(r?.kind).toBe('found');
      expect(r?.read).toEqual({ from: 'inventory', asOf: ago(10 * 60_000) });
      if (r?.kind === 'found') expect(r.profile.user.id).toBe(alice?._id);
      // The search went to the inventory; only the profile was read from IDmelon.
      expect(harness.sandbox.server.requests.some((q) => q.path.includes('/administrator/tokens/v2'))).toBe(
        false,
      );
    });

    it('tells where the matches came from when several match', async () => {
      const { harness, provider } = await setUp(10 * 60_000);
      const sources: ReadSource[] = [];
      const users = await provider.findUsers('a', { ...ctx(), onRead: (s) => sources.push(s) });
      const expected = harness.sandbox.workspace.users.filter(
        (u) => u.name.toLowerCase().startsWith('a') || u.email.toLowerCase().startsWith('a'),
      );
      expect(users.length).toBe(Math.min(50, expected.length));
      expect(sources).toEqual([{ from: 'inventory', asOf: ago(10 * 60_000) }]);
      expect(harness.sandbox.server.requests).toHaveLength(0);
    });

    it('--live searches the vendor', async () => {
      const { harness, inventory, provider } = await setUp(60_000);
      const report = await lookupUser([provider], 'alice@acme.example', { live: true });
      expect(report.results[0]?.kind).toBe('found');
      expect(report.results[0]?.read).toEqual({ from: 'live' });
      expect(inventory.reads).toBe(0);
      expect(harness.sandbox.server.requests.length).toBeGreaterThan(0);
    });
  });

  it('says an age in the unit that reads best', async () => {
    const { provider } = await setUp(2 * DAY_MS + HOUR, 30 * 60_000);
    const listing = await provider.listStale({ cutoff: new Date(NOW.getTime() - 90 * DAY_MS) }, ctx());
    expect(listing.read?.fallback).toBe('the inventory is 2 days old, older than 30 min: read live');
  });
});
