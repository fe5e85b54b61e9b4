import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IdmelonSandbox, startIdmelonSandbox } from '../../../sandbox/idmelon/index.js';
import { type Clock, fixedClock } from '../../../src/domain/clock.js';
import { Deadline } from '../../../src/domain/deadline.js';
import type { InventorySource, InventoryStore } from '../../../src/domain/inventory.js';
import { silentLogger } from '../../../src/domain/logger.js';
import type { Key } from '../../../src/domain/provider.js';
import { staticSecret } from '../../../src/http/credentials.js';
import { type Transport, undiciTransport } from '../../../src/http/transport.js';
import { startLocalBot } from '../../../src/local/bot.js';
import type { LocalDynamo } from '../../../src/local/dynamo.js';
import { jsonLogger } from '../../../src/log.js';
import { createIdmelonInventory, createIdmelonProvider } from '../../../src/providers/idmelon/index.js';
import { IDMELON_OVERLAP, IDMELON_WINDOW } from '../../../src/providers/idmelon/inventory.js';
import {
  type InventoryDeps,
  type InventorySettings,
  planFullSync,
  refreshInventory,
  syncNow,
} from '../../../src/services/inventory.js';
import { InventoryBudgetTable, InventoryTable } from '../../../src/store/inventory.js';
import { documentClient } from '../../../src/store/table.js';
import { countingTransport } from '../../helpers/counting-transport.js';
import { localTable } from '../../helpers/dynamo.js';
import { fastRetry, NOW } from '../../helpers/idmelon.js';

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

/** The keys the inventory holds of IDmelon's: the active ones (pending keys are left to the live listing). */
const activeKeys = (sandbox: IdmelonSandbox) => sandbox.workspace.keys.filter((k) => k.status === 20);

/** Ranges a full sync of the sandbox plans: windows of keys, then windows of users. */
const plannedRanges = (sandbox: IdmelonSandbox) =>
  Math.ceil(activeKeys(sandbox).length / IDMELON_WINDOW) +
  Math.ceil(sandbox.workspace.users.length / IDMELON_WINDOW);

/** The oracle: the sandbox's own active keys. */
function vendorKeys(sandbox: IdmelonSandbox) {
  return activeKeys(sandbox)
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

/** IDmelon's own inventory source over the sandbox, its provider built as the bot builds it. */
function idmelonSource(sandbox: IdmelonSandbox, transport: Transport): InventorySource {
  const provider = createIdmelonProvider({
    baseUrl: sandbox.url,
    apiKey: staticSecret(sandbox.apiKey),
    transport,
    retry: fastRetry,
    // Retry-After and backoff are not waited out here: the budget's pace is what these tests look at.
    sleep: async () => undefined,
  });
  return createIdmelonInventory(provider);
}

/**
 * A source that records the ranges it planned and read, delegating to the real one; with `failAfterRanges`, its
 * worker dies once it has read that many ranges.
 */
function recorded(source: InventorySource, failAfterRanges?: number) {
  const planned: string[] = [];
  const rangesRead: string[] = [];
  const wrapped: InventorySource & { planned: string[]; rangesRead: string[] } = {
    vendor: source.vendor,
    planned,
    rangesRead,
    cursorNow: (ctx) => source.cursorNow(ctx),
    changesSince: (cursor, ctx) => source.changesSince(cursor, ctx),
    async planFullSync(ctx) {
      const ranges = await source.planFullSync(ctx);
      planned.push(...ranges.map((r) => r.id));
      return ranges;
    },
    async readRange(range, ctx) {
      if (failAfterRanges !== undefined && rangesRead.length >= failAfterRanges)
        throw new Error('the worker stopped here');
      const read = await source.readRange(range, ctx);
      rangesRead.push(range.id);
      return read;
    },
  };
  return wrapped;
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
    // Six windows of keys and two of people.
    sandbox = await startIdmelonSandbox({ now: NOW, users: 150, keys: 450, logs: 0 });
    transport = countingTransport(undiciTransport());
  });
  afterEach(async () => {
    await transport.close();
    await sandbox.close();
    await dynamo.close();
  });

  it('holds exactly the vendor’s keys and people once a full sync is published', async () => {
    const summary = await syncNow(idmelonSource(sandbox, transport), engine());
    // The windows overlap, but what the summary counts is what the generation holds: each key and person once.
    expect(summary).toMatchObject({
      outcome: 'started',
      published: true,
      ranges: plannedRanges(sandbox),
      keys: activeKeys(sandbox).length,
      people: sandbox.workspace.users.length,
    });
    // The cursor (one log page), the two totals, then one request per window.
    expect(transport.sent).toBe(3 + plannedRanges(sandbox));

    expect(await storedKeys(store)).toEqual(vendorKeys(sandbox));
    const status = await store.status('idmelon');
    expect(status.current).toMatchObject({
      keys: activeKeys(sandbox).length,
      people: sandbox.workspace.users.length,
    });
    expect(status.building).toBeUndefined();

    // Idle since a date: the vendor's keys used before it, oldest first, and the never-used ones.
    const cutoff = new Date(NOW.getTime() - 90 * DAY);
    const idle = await store.idleKeys('idmelon', cutoff);
    const expectedStale = activeKeys(sandbox)
      .filter((k) => k.lastActivityAt && Date.parse(k.lastActivityAt) < cutoff.getTime())
      .map((k) => k._id);
    expect(idle.stale.map((k) => k.id).sort()).toEqual(expectedStale.sort());
    const times = idle.stale.map((k) => k.lastUsedAt as string);
    expect(times).toEqual([...times].sort());
    expect(idle.neverUsed.map((k) => k.id).sort()).toEqual(
      activeKeys(sandbox)
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
      activeKeys(sandbox)
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
    await syncNow(idmelonSource(sandbox, transport), engine());
    const first = await storedKeys(store);
    const firstGeneration = (await store.status('idmelon')).current?.generation;

    // The vendor changes, and the next sync's worker dies after three ranges.
    const [used, gone] = activeKeys(sandbox).filter((k) => k.lastActivityAt === null);
    if (!used || !gone) throw new Error('the sandbox has too few never-used keys');
    sandbox.routes.useKey(used._id, new Date(NOW.getTime() - DAY));
    await deleteAtVendor(sandbox, gone._id);
    const broken = recorded(idmelonSource(sandbox, transport), 3);
    await expect(syncNow(broken, engine())).rejects.toThrow(/stopped here/);

    const during = await store.status('idmelon');
    // Every window is planned from the totals at once.
    expect(broken.planned).toHaveLength(plannedRanges(sandbox));
    expect(during.building).toMatchObject({ ranges: broken.planned.length, done: broken.rangesRead.length });
    expect(during.current?.generation).toBe(firstGeneration);
    // Readers still see the whole previous generation: not one key of the half-built one.
    expect(await storedKeys(store)).toEqual(first);
    expect(await storedKeys(store)).not.toEqual(vendorKeys(sandbox));

    // While the build may still be moving, another sync leaves it be.
    expect((await planFullSync(idmelonSource(sandbox, transport), engine())).outcome).toBe('busy');

    at += 16 * 60_000;
    const resumed = recorded(idmelonSource(sandbox, transport));
    const summary = await syncNow(resumed, engine());
    expect(summary).toMatchObject({
      outcome: 'resumed',
      published: true,
      generation: during.building?.generation,
    });
    // Only the ranges the dead worker had not stored were read again.
    expect(resumed.planned).toEqual([]);
    expect(resumed.rangesRead.sort()).toEqual(
      broken.planned.filter((r) => !broken.rangesRead.includes(r)).sort(),
    );
    expect(await storedKeys(store)).toEqual(vendorKeys(sandbox));
    expect((await store.status('idmelon')).current?.keys).toBe(activeKeys(sandbox).length);

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
      // The third window of keys, read from a little before its start.
      match: (r) =>
        r.path === '/administrator/securityDevice' &&
        r.query.get('skip') === String(2 * IDMELON_WINDOW - IDMELON_OVERLAP),
      times: 2,
    });
    const summary = await syncNow(idmelonSource(sandbox, transport), engine());
    expect(summary.published).toBe(true);
    expect(await storedKeys(store)).toEqual(vendorKeys(sandbox));
    expect(await budget.slowedUntil('idmelon')).toBeGreaterThan(Date.now());
  });

  it('applies what the change feed shows: keys used move, and their owners’ keys are read again whole', async () => {
    const source = idmelonSource(sandbox, transport);
    await syncNow(source, engine());
    const before = await store.status('idmelon');

    // An owner with a never-used key and another one, and a long-idle key of someone else.
    const active = activeKeys(sandbox);
    const activeOf = (owner: string) => activeKeys(sandbox).filter((k) => k.ownerId === owner);
    const used = active.find((k) => k.lastActivityAt === null && activeOf(k.ownerId).length >= 2);
    const cutoff = new Date(NOW.getTime() - 90 * DAY);
    const longIdle = active.find(
      (k) =>
        k.ownerId !== used?.ownerId &&
        k.lastActivityAt !== null &&
        Date.parse(k.lastActivityAt) < cutoff.getTime(),
    );
    if (!used || !longIdle) throw new Error('the sandbox lacks the keys this test needs');
    const owner = used.ownerId;
    const revoked = activeOf(owner).find((k) => k._id !== used._id);
    if (!revoked) throw new Error('the owner has one key only');
    sandbox.routes.useKey(used._id, new Date(NOW.getTime() + 60_000));
    sandbox.routes.useKey(longIdle._id, new Date(NOW.getTime() + 61_000));
    const added = sandbox.routes.addKey(owner);
    sandbox.routes.revokeKey(revoked._id);

    const outcome = await refreshInventory(source, engine());
    expect(outcome).toMatchObject({
      outcome: 'applied',
      keys: activeOf(owner).length + activeOf(longIdle.ownerId).length,
      removedKeys: 0,
      people: 0,
    });
    // Every change here was to an owner the logs name: the inventory is the vendor's again.
    expect(await storedKeys(store)).toEqual(vendorKeys(sandbox));
    const status = await store.status('idmelon');
    expect(status.current).toMatchObject({
      generation: before.current?.generation,
      keys: activeKeys(sandbox).length,
      people: sandbox.workspace.users.length,
    });
    expect(status.current?.cursor).not.toBe(before.current?.cursor);
    const idle = await store.idleKeys('idmelon', cutoff);
    const idleIds = [...idle.stale, ...idle.neverUsed].map((k) => k.id);
    expect(idleIds).not.toContain(used._id);
    expect(idleIds).not.toContain(longIdle._id);
    expect(idleIds).not.toContain(revoked._id);
    expect(idle.neverUsed.map((k) => k.id)).toContain(added._id);
    expect((await store.keysOf('idmelon', owner)).map((k) => k.id)).toContain(added._id);

    // A refresh that read from a cursor another one has since moved changes nothing about the cursor.
    const late = await source.changesSince(before.current?.cursor as string, {
      deadline: Deadline.after(10_000),
      meter: { requests: 0 },
    });
    expect(
      await store.applyChanges('idmelon', late, before.current?.cursor as string, clock.now().toISOString()),
    ).toBe(false);
    expect((await store.status('idmelon')).current?.cursor).toBe(status.current?.cursor);
  });
});

describe('the inventory sync through the queue', () => {
  it('reads at most KEYWARDEN_INVENTORY_CONCURRENCY ranges of a vendor at once, and publishes once every range is stored', async () => {
    const transport = countingTransport(undiciTransport());
    const bot = await startLocalBot({
      env: { KEYWARDEN_INVENTORY_CONCURRENCY: '2', KEYWARDEN_INVENTORY_RATE: '100' },
      port: 0,
      dataDir: null,
      archiveDir: null,
      transport,
      vendors: ['idmelon'],
      // Slow enough answers that two ranges are surely read at once, whatever the machine's load.
      sandbox: { users: 120, keys: 600, logs: 0, latencyMs: 60 },
      sweepEveryMs: 0,
      archiveEveryMs: 0,
      policyCheckEveryMs: 0,
      keepInventory: true,
      inventoryRefreshEveryMs: 0,
      logger: jsonLogger({ level: 'error' }),
    });
    try {
      const sandbox = bot.sandbox;
      if (!sandbox) throw new Error('the bot started no IDmelon sandbox');
      await bot.inventory.queueSync();
      await bot.queue.idle();
      expect(transport.maxInFlight).toBeLessThanOrEqual(2);
      expect(transport.maxInFlight).toBe(2);
      // The cursor (one log page), the two totals, then one request per window.
      expect(transport.sent).toBe(3 + plannedRanges(sandbox));
      expect(await storedKeys(bot.inventory.store)).toEqual(vendorKeys(sandbox));
      const status = await bot.inventory.store.status('idmelon');
      expect(status.current?.people).toBe(sandbox.workspace.users.length);
      expect(status.building).toBeUndefined();
    } finally {
      await bot.close();
      await transport.close();
    }
  });
});

describe('an inventory sync whose bot stopped part-way', () => {
  it('is taken over by the next bot’s sync, which reads only the ranges not stored', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-inventory-resume-'));
    const startBot = (at: Date, failAfterRanges?: number) => {
      let source: ReturnType<typeof recorded> | undefined;
      let bot!: Awaited<ReturnType<typeof startLocalBot>>;
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
        // The bot's own IDmelon source, watched (and, in the first process, stopped part-way).
        inventorySources: async () => {
          const own = bot.inventory.vendorSources.find((s) => s.vendor === 'idmelon');
          if (!own) throw new Error('the bot has no IDmelon source');
          source ??= recorded(own, failAfterRanges);
          return [source];
        },
        logger: jsonLogger({ level: 'error', write: () => undefined }),
      }).then((b) => {
        bot = b;
        return { bot: b, source: () => source };
      });
    };
    const first = await startBot(NOW, 2);
    let planned: string[] = [];
    let storedBefore: string[] = [];
    let stopped: Awaited<ReturnType<InventoryStore['status']>>;
    let oracle: ReturnType<typeof vendorKeys>;
    try {
      await first.bot.inventory.queueSync();
      await first.bot.queue.idle();
      stopped = await first.bot.inventory.store.status('idmelon');
      planned = first.source()?.planned ?? [];
      storedBefore = first.source()?.rangesRead ?? [];
      expect(planned).toHaveLength(plannedRanges(first.bot.sandbox as IdmelonSandbox));
      expect(storedBefore).toHaveLength(2);
      expect(stopped.current).toBeUndefined();
      expect(stopped.building?.done).toBe(storedBefore.length);
      // Nothing of the half-built generation is visible.
      expect(await storedKeys(first.bot.inventory.store)).toEqual([]);
      oracle = vendorKeys(first.bot.sandbox as IdmelonSandbox);
    } finally {
      await first.bot.close();
    }

    const second = await startBot(new Date(NOW.getTime() + 16 * 60_000));
    try {
      await second.bot.inventory.queueSync();
      await second.bot.queue.idle();
      expect(second.source()?.planned).toEqual([]);
      expect(second.source()?.rangesRead.sort()).toEqual(
        planned.filter((r) => !storedBefore.includes(r)).sort(),
      );
      expect(await storedKeys(second.bot.inventory.store)).toEqual(oracle);
      const status = await second.bot.inventory.store.status('idmelon');
      expect(status.current?.generation).toBe(stopped.building?.generation);
      expect(status.building).toBeUndefined();
    } finally {
      await second.bot.close();
    }
  }, 60_000);
});
