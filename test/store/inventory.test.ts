import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Key } from '../../src/domain/provider.js';
import type { LocalDynamo } from '../../src/local/dynamo.js';
import { InventoryBudgetTable, InventoryTable } from '../../src/store/inventory.js';
import { documentClient } from '../../src/store/table.js';
import { localTable } from '../helpers/dynamo.js';

const AT = '2026-11-23T12:00:00.000Z';

const key = (id: string, over: Partial<Key> = {}): Key => ({
  vendor: 'solvimon',
  id,
  name: `key ${id}`,
  type: 'api-key',
  owner: { id: 'owner-1', email: 'owner@acme.example' },
  lastUsedAt: undefined,
  uses: null,
  status: 'active',
  ...over,
});

describe('InventoryTable', () => {
  let dynamo: LocalDynamo & { table: string };
  let store: InventoryTable;
  beforeEach(async () => {
    dynamo = await localTable();
    store = new InventoryTable(documentClient(dynamo.client), { table: dynamo.table });
  });
  afterEach(() => dynamo.close());

  const build = async (vendor: 'solvimon' | 'idmelon', generation: string, ranges: string[]) =>
    store.startBuild(
      vendor,
      { generation, startedAt: AT, cursor: 'c0', ranges: ranges.map((id) => ({ id, kind: 'all' as const })) },
      60_000,
    );

  it('measures idle by creation time for a vendor that does not track use', async () => {
    expect(await build('solvimon', 'g1', ['all'])).toBe(true);
    const keys = [
      key('old', { createdAt: '2024-01-01T00:00:00.000Z' }),
      key('older', { createdAt: '2023-01-01T00:00:00.000Z' }),
      key('new', { createdAt: '2026-11-01T00:00:00.000Z' }),
    ];
    await store.completeRange('solvimon', 'g1', { id: 'all', kind: 'all' }, { keys, people: [] }, AT);
    expect(await store.publish('solvimon', 'g1', AT)).toBe(true);
    const idle = await store.idleKeys('solvimon', new Date('2025-01-01T00:00:00.000Z'));
    expect(idle.stale.map((k) => k.id)).toEqual(['older', 'old']);
    expect(idle.neverUsed).toEqual([]);
    // Stored as the vendor gave it: no last use, not "never used".
    expect(idle.stale[0]?.lastUsedAt).toBeUndefined();
  });

  it('stores a range twice as once, publishes only when every range is stored, and never a second time', async () => {
    await build('idmelon', 'g1', ['a', 'b']);
    const read = { keys: [key('k1', { vendor: 'idmelon', lastUsedAt: null })], people: [] };
    expect(await store.completeRange('idmelon', 'g1', { id: 'a', kind: 'all' }, read, AT)).toEqual({
      remaining: 1,
    });
    expect(await store.publish('idmelon', 'g1', AT)).toBe(false);
    expect(await store.completeRange('idmelon', 'g1', { id: 'a', kind: 'all' }, read, AT)).toEqual({
      remaining: 1,
    });
    expect(await store.pendingRanges('idmelon', 'g1')).toEqual([{ id: 'b', kind: 'all' }]);
    // A range that finds another: the build is not finished until that one is stored too.
    const withNext = { keys: [], people: [], next: { id: 'c', kind: 'all' as const } };
    expect(await store.completeRange('idmelon', 'g1', { id: 'b', kind: 'all' }, withNext, AT)).toEqual({
      remaining: 1,
    });
    expect(
      await store.completeRange('idmelon', 'g1', { id: 'c', kind: 'all' }, { keys: [], people: [] }, AT),
    ).toEqual({
      remaining: 0,
    });
    expect(await store.publish('idmelon', 'g1', AT)).toBe(true);
    expect(await store.publish('idmelon', 'g1', AT)).toBe(false);
    expect((await store.status('idmelon')).current).toMatchObject({
      generation: 'g1',
      keys: 1,
      cursor: 'c0',
    });
    // A range job redelivered after the publish stores nothing.
    await expect(store.completeRange('idmelon', 'g1', { id: 'a', kind: 'all' }, read, AT)).rejects.toThrow(
      /no longer being built/,
    );
  });

  it('keeps a key read in two ranges once, at its latest use, with its latest owner', async () => {
    await build('idmelon', 'g1', ['a', 'b']);
    const before = key('k1', { vendor: 'idmelon', lastUsedAt: '2025-01-01T00:00:00.000Z' });
    const after = key('k1', {
      vendor: 'idmelon',
      lastUsedAt: '2026-11-01T00:00:00.000Z',
      owner: { id: 'owner-2' },
    });
    await store.completeRange('idmelon', 'g1', { id: 'a', kind: 'all' }, { keys: [before], people: [] }, AT);
    await store.completeRange('idmelon', 'g1', { id: 'b', kind: 'all' }, { keys: [after], people: [] }, AT);
    expect(await store.publish('idmelon', 'g1', AT)).toBe(true);
    expect((await store.status('idmelon')).current?.keys).toBe(1);
    const all = await store.idleKeys('idmelon', new Date('9999-01-01T00:00:00.000Z'));
    expect(all.stale.map((k) => k.lastUsedAt)).toEqual(['2026-11-01T00:00:00.000Z']);
    expect(await store.keysOf('idmelon', 'owner-1')).toEqual([]);
    expect((await store.keysOf('idmelon', 'owner-2')).map((k) => k.id)).toEqual(['k1']);
  });

  it('refuses a second build while the first is moving, and replaces one left still for longer than the lease', async () => {
    expect(await build('idmelon', 'g1', ['a'])).toBe(true);
    expect(await build('idmelon', 'g2', ['a'])).toBe(false);
    const later = new Date(Date.parse(AT) + 120_000).toISOString();
    expect(
      await store.startBuild(
        'idmelon',
        { generation: 'g3', startedAt: later, ranges: [{ id: 'a', kind: 'all' }] },
        60_000,
      ),
    ).toBe(true);
    expect((await store.status('idmelon')).building?.generation).toBe('g3');
  });
});

describe('InventoryBudgetTable', () => {
  let dynamo: LocalDynamo & { table: string };
  let now = 1_000_000;
  let budget: InventoryBudgetTable;
  beforeEach(async () => {
    dynamo = await localTable();
    now = 1_000_000;
    budget = new InventoryBudgetTable(documentClient(dynamo.client), { table: dynamo.table, now: () => now });
  });
  afterEach(() => dynamo.close());

  it('spaces a vendor’s requests at its rate, twice as far apart for a while after a 429, past its Retry-After', async () => {
    // 10 a second: one every 100 ms, whoever asks.
    expect(await budget.reserveRequest('idmelon', 10)).toBe(0);
    expect(await budget.reserveRequest('idmelon', 10)).toBe(100);
    expect(await budget.reserveRequest('idmelon', 10)).toBe(200);
    await budget.slowDown('idmelon', 60_000);
    expect(await budget.slowedUntil('idmelon')).toBe(now + 60_000);
    const a = await budget.reserveRequest('idmelon', 10);
    const b = await budget.reserveRequest('idmelon', 10);
    expect(b - a).toBe(200);
    // Another vendor keeps its own pace.
    expect(await budget.reserveRequest('solvimon', 10)).toBe(0);
    // Once the while is over the pace is back to normal.
    now += 61_000;
    const c = await budget.reserveRequest('idmelon', 10);
    const d = await budget.reserveRequest('idmelon', 10);
    expect(d - c).toBe(100);
    // A Retry-After holds every worker back until it has passed.
    now += 10_000;
    await budget.slowDown('idmelon', 60_000, 5_000);
    expect(await budget.reserveRequest('idmelon', 10)).toBe(5_000);
  });

  it('lets no more than the given number of ranges hold a slot, and frees a slot whose holder died', async () => {
    expect(await budget.acquireSlot('idmelon', 'job-1', 2, 10_000)).toBe(true);
    expect(await budget.acquireSlot('idmelon', 'job-2', 2, 10_000)).toBe(true);
    expect(await budget.acquireSlot('idmelon', 'job-3', 2, 10_000)).toBe(false);
    await budget.releaseSlot('idmelon', 'job-1');
    expect(await budget.acquireSlot('idmelon', 'job-3', 2, 10_000)).toBe(true);
    expect(await budget.acquireSlot('idmelon', 'job-4', 2, 10_000)).toBe(false);
    now += 10_001;
    expect(await budget.acquireSlot('idmelon', 'job-4', 2, 10_000)).toBe(true);
  });
});
