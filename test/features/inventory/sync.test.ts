import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IdmelonSandbox, startIdmelonSandbox } from '../../../sandbox/idmelon/index.js';
import { type Clock, fixedClock } from '../../../src/domain/clock.js';
import { Deadline } from '../../../src/domain/deadline.js';
import type { InventoryStore } from '../../../src/domain/inventory.js';
import { silentLogger } from '../../../src/domain/logger.js';
import type { Key } from '../../../src/domain/provider.js';
import { undiciTransport } from '../../../src/http/transport.js';
import { startLocalBot } from '../../../src/local/bot.js';
import type { LocalDynamo } from '../../../src/local/dynamo.js';
import { jsonLogger } from '../../../src/log.js';
import {
  type InventoryDeps,
  type InventorySettings,
  planFullSync,
  refreshInventory,
  syncNow,
} from '../../../src/services/inventory.js';
import { InventoryBudgetTable, InventoryTable } from '../../../src/store/inventory.js';
import { documentClient } from '../../../src/store/table.js';
import { localTable } from '../../helpers/dynamo.js';
import { NOW } from '../../helpers/idmelon.js';
import { countingTransport, idmelonTestSource } from '../../helpers/inventory-source.js';

const FAR_FUTURE = new Date('9999-01-01T00:00:00.000Z');
const DAY = 86_400_000;

/** A key as the comparisons see it: what the inventory must hold for it. */
const shape = (k: Pick<Key, 'id' | 'lastUsedAt' | 'type' | 'name'> & { owner: { id?: string } }) => ({
  id: k.id,
  owner: k.owner.id,
  lastUsedAt: k.lastUsedAt,
  type: k.type,
  name: k.name,
});
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The oracle: the sandbox's own keys. */
function vendorKeys(sandbox: IdmelonSandbox) {
  return sandbox.workspace.keys
    .map((k) =>
      shape({
        id: k._id,
        owner: { id: k.ownerId },
        lastUsedAt: k.lastActivityAt ? new Date(k.lastActivityAt).toISOString() : null,
        type: k.type,
        name: k.name,
      }),
    )
    .sort(byId);
}

async function storedKeys(store: InventoryStore) {
  const { stale, neverUsed } = await store.idleKeys('idmelon', FAR_FUTURE);
  return [...stale, ...neverUsed].map(shape).sort(byId);
}

async function deleteAtVendor(sandbox: IdmelonSandbox, id: string) {
  const res = await fetch(`${sandbox.url}/administrator/securityDevice/${id}?_id=${id}`, {
    method: 'DELETE',
    headers: { authorization: sandbox.apiKey },
  });
  expect(res.status).toBe(200);
}

describe('the inventory sync', () => {
  let dynamo: LocalDynamo & { table: string };
  let sandbox: IdmelonSandbox;
  let transport: ReturnType<typeof countingTransport>;
  let store: InventoryTable;
  let budget: InventoryBudgetTable;
  let at: number;
  const clock: Clock = { now: () => new Date(at) };
  const engine = (settings: Partial<InventorySettings> = {}): InventoryDeps => ({
    store,
    budget,
    clock,
    logger: silentLogger,
    settings: { rate: 1000, concurrency: 2, ...settings },
  });

  beforeEach(async () => {
    at = NOW.getTime();
    dynamo = await localTable();
    const db = documentClient(dynamo.client);
    store = new InventoryTable(db, { table: dynamo.table });
    budget = new InventoryBudgetTable(db, { table: dynamo.table });
    // 5 key ranges, and people read page by page (2 pages).
    sandbox = await startIdmelonSandbox({ now: NOW, users: 150, keys: 450, logs: 0 });
    transport = countingTransport(undiciTransport());
  });
  afterEach(async () => {
    await transport.close();
    await sandbox.close();
    await dynamo.close();
  });

  it('holds exactly the vendor’s keys and people once a full sync is published', async () => {
    const summary = await syncNow(idmelonTestSource(sandbox, transport), engine());
    expect(summary).toMatchObject({ outcome: 'started', published: true, ranges: 7 });

    expect(await storedKeys(store)).toEqual(vendorKeys(sandbox));
    const status = await store.status('idmelon');
    expect(status.current).toMatchObject({
      keys: sandbox.workspace.keys.length,
      people: sandbox.workspace.users.length,
    });
    expect(status.building).toBeUndefined();

    // Idle since a date: the vendor's keys used before it, oldest first, and the never-used ones.
    const cutoff = new Date(NOW.getTime() - 90 * DAY);
    const idle = await store.idleKeys('idmelon', cutoff);
    const expectedStale = sandbox.workspace.keys
      .filter((k) => k.lastActivityAt && Date.parse(k.lastActivityAt) < cutoff.getTime())
      .map((k) => k._id);
    expect(idle.stale.map((k) => k.id).sort()).toEqual(expectedStale.sort());
    const times = idle.stale.map((k) => k.lastUsedAt as string);
    expect(times).toEqual([...times].sort());
    expect(idle.neverUsed.map((k) => k.id).sort()).toEqual(
      sandbox.workspace.keys
        .filter((k) => !k.lastActivityAt)
        .map((k) => k._id)
        .sort(),
    );
    const phones = await store.idleKeys('idmelon', cutoff, 'phone');
    expect(phones.stale.every((k) => k.type === 'phone')).toBe(true);
    expect(phones.stale.length).toBe(idle.stale.filter((k) => k.type === 'phone').length);

    // Keys of an owner, and people by email, id and name prefix whatever the case.
    const owner = sandbox.workspace.users[7];
    if (!owner) throw new Error('the sandbox has no 8th user');
    expect((await store.keysOf('idmelon', owner._id)).map((k) => k.id).sort()).toEqual(
      sandbox.workspace.keys
        .filter((k) => k.ownerId === owner._id)
        .map((k) => k._id)
        .sort(),
    );
    expect((await store.findPeople('idmelon', owner.email.toUpperCase()))[0]?.id).toBe(owner._id);
    expect((await store.findPeople('idmelon', owner._id))[0]?.id).toBe(owner._id);
    const prefix = owner.name.slice(0, 3);
    const byName = await store.findPeople('idmelon', prefix.toLowerCase(), 500);
    expect(byName.map((p) => p.id).sort()).toEqual(
      sandbox.workspace.users
        .filter(
          (u) =>
            u.name.toLowerCase().startsWith(prefix.toLowerCase()) ||
            u.email.toLowerCase().startsWith(prefix.toLowerCase()),
        )
        .map((u) => u._id)
        .sort(),
    );
  });

  it('resumes a sync stopped part-way from the ranges not stored, and readers see the previous generation until it is published', async () => {
    await syncNow(idmelonTestSource(sandbox, transport), engine());
    const first = await storedKeys(store);
    const firstGeneration = (await store.status('idmelon')).current?.generation;

    // The vendor changes, and the next sync's worker dies after three ranges.
    const [used, gone] = sandbox.workspace.keys.filter((k) => k.lastActivityAt === null);
    if (!used || !gone) throw new Error('the sandbox has too few never-used keys');
    sandbox.routes.useKey(used._id, new Date(NOW.getTime() - DAY));
    await deleteAtVendor(sandbox, gone._id);
    const broken = idmelonTestSource(sandbox, transport, { failAfterRanges: 3 });
    await expect(syncNow(broken, engine())).rejects.toThrow(/stopped here/);

    const during = await store.status('idmelon');
    // Five key ranges and the first page of people were planned; the second page is known once the first is read.
    const planned = 6 + (broken.rangesRead.includes('people-0') ? 1 : 0);
    expect(during.building).toMatchObject({ ranges: planned, done: broken.rangesRead.length });
    expect(during.current?.generation).toBe(firstGeneration);
    // Readers still see the whole previous generation: not one key of the half-built one.
    expect(await storedKeys(store)).toEqual(first);
    expect(await storedKeys(store)).not.toEqual(vendorKeys(sandbox));

    // While the build may still be moving, another sync leaves it be.
    expect((await planFullSync(idmelonTestSource(sandbox, transport), engine())).outcome).toBe('busy');

    at += 16 * 60_000;
    const resumed = idmelonTestSource(sandbox, transport);
    const summary = await syncNow(resumed, engine());
    expect(summary).toMatchObject({
      outcome: 'resumed',
      published: true,
      generation: during.building?.generation,
    });
    // Only the ranges the dead worker had not stored were read again.
    const all = ['keys-0', 'keys-100', 'keys-200', 'keys-300', 'keys-400', 'people-0', 'people-100'];
    expect(resumed.rangesRead.sort()).toEqual(all.filter((r) => !broken.rangesRead.includes(r)).sort());
    expect(await storedKeys(store)).toEqual(vendorKeys(sandbox));
    expect((await store.status('idmelon')).current?.keys).toBe(sandbox.workspace.keys.length);

    // The replaced generation is removed once its grace period is over, and only then.
    expect(await store.removeOldGenerations('idmelon', clock.now().toISOString(), 600_000)).toBe(0);
    expect(await store.removeOldGenerations('idmelon', new Date(at + 600_000).toISOString(), 600_000)).toBe(
      1,
    );
    expect(await storedKeys(store)).toEqual(vendorKeys(sandbox));
  });

  it('slows every worker down when the vendor answers 429, and still completes', async () => {
    sandbox.inject({
      fault: {
        kind: 'status',
        status: 429,
        headers: { 'retry-after': '1' },
        body: { message: 'Too many requests' },
      },
      match: (r) => r.path === '/administrator/securityDevice' && r.query.get('skip') === '200',
      times: 2,
    });
    const summary = await syncNow(idmelonTestSource(sandbox, transport), engine());
    expect(summary.published).toBe(true);
    expect(await storedKeys(store)).toEqual(vendorKeys(sandbox));
    expect(await budget.slowedUntil('idmelon')).toBeGreaterThan(Date.now());
  });

  it('reflects keys used, added and removed and people added when a refresh applies the change feed', async () => {
    const source = idmelonTestSource(sandbox, transport);
    await syncNow(source, engine());

    const neverUsed = sandbox.workspace.keys.filter((k) => k.lastActivityAt === null);
    const [used, removed] = neverUsed;
    const recentlyStale = sandbox.workspace.keys.find((k) => k.lastActivityAt !== null);
    if (!used || !removed || !recentlyStale) throw new Error('the sandbox lacks the keys this test needs');
    const owner = sandbox.workspace.users[3];
    if (!owner) throw new Error('the sandbox has no 4th user');
    sandbox.workspace.users.push({
      _id: 'user-added-after-sync',
      email: 'Zelda.Newcomer@acme.example',
      name: 'Zelda Newcomer',
      status: 'active',
      createdAt: NOW.toISOString(),
      groupIds: [],
    });
    sandbox.workspace.keys.push({
      _id: 'key-added-after-sync',
      name: 'New badge',
      type: 'badge',
      status: 20,
      ownerId: owner._id,
      lastActivityAt: null,
      totalActivities: 0,
      hasOfflineAccess: false,
      isBlocked: false,
      proximity: false,
      verification: 'none',
      createdAt: NOW.toISOString(),
    });
    // Using keys drops the sandbox's cached listings, the new key and person included.
    sandbox.routes.useKey(used._id, new Date(NOW.getTime() - DAY));
    sandbox.routes.useKey(recentlyStale._id, new Date(NOW.getTime() - 2 * DAY));
    await deleteAtVendor(sandbox, removed._id);

    const outcome = await refreshInventory(source, engine());
    expect(outcome.outcome).toBe('applied');
    expect(await storedKeys(store)).toEqual(vendorKeys(sandbox));
    const status = await store.status('idmelon');
    expect(status.current).toMatchObject({
      keys: sandbox.workspace.keys.length,
      people: sandbox.workspace.users.length,
      cursor: String(sandbox.routes.deletions.length),
    });
    const idle = await store.idleKeys('idmelon', new Date(NOW.getTime() - 30 * DAY));
    const idleIds = [...idle.stale, ...idle.neverUsed].map((k) => k.id);
    expect(idleIds).not.toContain(used._id);
    expect(idleIds).not.toContain(recentlyStale._id);
    expect(idleIds).not.toContain(removed._id);
    expect(idle.neverUsed.map((k) => k.id)).toContain('key-added-after-sync');
    expect((await store.keysOf('idmelon', owner._id)).map((k) => k.id)).toContain('key-added-after-sync');
    expect((await store.findPeople('idmelon', 'zelda.newcomer@ACME.example'))[0]?.id).toBe(
      'user-added-after-sync',
    );
    expect((await store.findPeople('idmelon', 'zel'))[0]?.id).toBe('user-added-after-sync');

    // A refresh that read from a cursor another one has since moved changes nothing about the cursor.
    const stale = await source.changesSince('0', {
      deadline: Deadline.after(10_000),
      meter: { requests: 0 },
    });
    expect(await store.applyChanges('idmelon', stale, 'not-the-cursor', clock.now().toISOString())).toBe(
      false,
    );
  });
});

describe('the inventory sync through the queue', () => {
  it('reads at most KEYWARDEN_INVENTORY_CONCURRENCY ranges of a vendor at once, and publishes once every range is stored', async () => {
    let source: ReturnType<typeof idmelonTestSource> | undefined;
    let transport: ReturnType<typeof countingTransport> | undefined;
    const bot = await startLocalBot({
      env: { KEYWARDEN_INVENTORY_CONCURRENCY: '2', KEYWARDEN_INVENTORY_RATE: '100' },
      port: 0,
      dataDir: null,
      archiveDir: null,
      vendors: ['idmelon'],
      sandbox: { users: 120, keys: 600, logs: 0, latencyMs: 15 },
      sweepEveryMs: 0,
      archiveEveryMs: 0,
      policyCheckEveryMs: 0,
      inventoryRefreshEveryMs: 0,
      inventorySources: async () => (source ? [source] : []),
      logger: jsonLogger({ level: 'error' }),
    });
    try {
      const sandbox = bot.sandbox;
      if (!sandbox) throw new Error('the bot started no IDmelon sandbox');
      transport = countingTransport(undiciTransport());
      source = idmelonTestSource(sandbox, transport);
      await bot.inventory.queueSync();
      await bot.queue.idle();
      expect(transport.maxInFlight).toBeLessThanOrEqual(2);
      expect(transport.maxInFlight).toBe(2);
      expect(await storedKeys(bot.inventory.store)).toEqual(vendorKeys(sandbox));
      const status = await bot.inventory.store.status('idmelon');
      expect(status.current?.people).toBe(sandbox.workspace.users.length);
      expect(status.building).toBeUndefined();
    } finally {
      await bot.close();
      await transport?.close();
    }
  });
});

describe('an inventory sync whose bot stopped part-way', () => {
  it('is taken over by the next bot’s sync, which reads only the ranges not stored', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-inventory-resume-'));
    const transport = undiciTransport();
    const startBot = (at: Date, failAfterRanges?: number) => {
      let source: ReturnType<typeof idmelonTestSource> | undefined;
      return startLocalBot({
        env: { KEYWARDEN_INVENTORY_CONCURRENCY: '1', KEYWARDEN_INVENTORY_RATE: '100' },
        port: 0,
        dataDir,
        archiveDir: null,
        clock: fixedClock(at),
        vendors: ['idmelon'],
        // The same vendor data in both processes, whatever each one's clock says.
        sandbox: { users: 150, keys: 450, logs: 0, now: NOW },
        sweepEveryMs: 0,
        archiveEveryMs: 0,
        policyCheckEveryMs: 0,
        inventoryRefreshEveryMs: 0,
        inventorySources: async () => {
          source ??= idmelonTestSource(bot.sandbox as IdmelonSandbox, transport, { failAfterRanges });
          return [source];
        },
        logger: jsonLogger({ level: 'error', write: () => undefined }),
      }).then((b) => {
        bot = b;
        return { bot: b, source: () => source };
      });
    };
    let bot!: Awaited<ReturnType<typeof startLocalBot>>;
    try {
      const first = await startBot(NOW, 2);
      await first.bot.inventory.queueSync();
      await first.bot.queue.idle();
      const stopped = await first.bot.inventory.store.status('idmelon');
      const storedBefore = first.source()?.rangesRead ?? [];
      expect(stopped.current).toBeUndefined();
      expect(stopped.building?.done).toBe(storedBefore.length);
      // Nothing of the half-built generation is visible.
      expect(await storedKeys(first.bot.inventory.store)).toEqual([]);
      const oracle = vendorKeys(first.bot.sandbox as IdmelonSandbox);
      await first.bot.close();

      const second = await startBot(new Date(NOW.getTime() + 16 * 60_000));
      await second.bot.inventory.queueSync();
      await second.bot.queue.idle();
      const all = ['keys-0', 'keys-100', 'keys-200', 'keys-300', 'keys-400', 'people-0', 'people-100'];
      expect(second.source()?.rangesRead.sort()).toEqual(all.filter((r) => !storedBefore.includes(r)).sort());
      expect(await storedKeys(second.bot.inventory.store)).toEqual(oracle);
      const status = await second.bot.inventory.store.status('idmelon');
      expect(status.current?.generation).toBe(stopped.building?.generation);
      expect(status.building).toBeUndefined();
      await second.bot.close();
    } finally {
      await transport.close();
    }
  }, 60_000);
});
