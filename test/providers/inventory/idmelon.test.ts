import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxKey } from '../../../sandbox/idmelon/workspace.js';
import { Deadline, newMeter } from '../../../src/domain/deadline.js';
import type { InventorySource, RangeRead } from '../../../src/domain/inventory.js';
import type { Key } from '../../../src/domain/provider.js';
import { type IdmelonClient, IdmelonInventory } from '../../../src/providers/idmelon/index.js';
import { idmelonVendor } from '../../../src/providers/idmelon/vendor.js';
import { MAX_PLANNED_RANGES } from '../../../src/store/inventory.js';
import { type IdmelonHarness, idmelonHarness, NOW } from '../../helpers/idmelon.js';

const ctx = () => ({ deadline: Deadline.after(30_000), meter: newMeter() });
const KEYS = '/administrator/securityDevice';
const USERS = '/administrator/tokens/v2';
const LOGS = '/administrator/workspace/activity/logs';
const OWNER_KEYS = /^\/administrator\/tokens\/userInfo\/[^/]+\/securitykeys\/v2$/;

/** What the inventory must hold of a key, computed from the sandbox's own record. */
const expected = (k: SandboxKey) => ({
  id: k._id,
  owner: k.ownerId,
  lastUsedAt: k.lastActivityAt ? new Date(k.lastActivityAt).toISOString() : null,
  status: 'active',
  type: k.type,
});
const held = (k: Key) => ({
  id: k.id,
  owner: k.owner.id,
  lastUsedAt: k.lastUsedAt,
  status: k.status,
  type: k.type,
});
const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe('IDmelon inventory source', () => {
  let h: IdmelonHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function setup(): Promise<{ h: IdmelonHarness; source: InventorySource }> {
    h = await idmelonHarness({ users: 300, keys: 950, logs: 2000 });
    const source = idmelonVendor.inventory?.(h.provider);
    if (!source) throw new Error('IDmelon has no inventory source');
    return { h, source };
  }

  async function fullSync(source: InventorySource) {
    const ranges = await source.planFullSync(ctx());
    const reads: RangeRead[] = [];
    for (const r of ranges) reads.push(await source.readRange(r, ctx()));
    const keys = new Map(reads.flatMap((r) => r.keys).map((k) => [k.id, k]));
    const people = new Map(reads.flatMap((r) => r.people).map((p) => [p.id, p]));
    return { ranges, keys, people };
  }

  it('plans from the two totals and reads each window in one request: the union is every active key and user', async () => {
    const { h, source } = await setup();
    const ranges = await source.planFullSync(ctx());
    expect(h.sandbox.server.requests).toHaveLength(2);
    h.sandbox.server.clearLog();
    const keyRanges = ranges.filter((r) => r.kind === 'keys');
    const peopleRanges = ranges.filter((r) => r.kind === 'people');
    const active = h.sandbox.workspace.keys.filter((k) => k.status === 20);
    expect(keyRanges).toHaveLength(Math.ceil(active.length / 90));
    expect(peopleRanges).toHaveLength(Math.ceil(h.sandbox.workspace.users.length / 90));

    const reads: RangeRead[] = [];
    for (const r of ranges) reads.push(await source.readRange(r, ctx()));
    expect(h.sandbox.server.count(KEYS)).toBe(keyRanges.length);
    expect(h.sandbox.server.count(USERS)).toBe(peopleRanges.length);

    const keys = new Map(reads.flatMap((r) => r.keys).map((k) => [k.id, k]));
    expect([...keys.values()].map(held).sort(byId)).toEqual(active.map(expected).sort(byId));
    const people = new Map(reads.flatMap((r) => r.people).map((p) => [p.id, p]));
    expect([...people.values()].map((p) => ({ id: p.id, email: p.email })).sort(byId)).toEqual(
      h.sandbox.workspace.users.map((u) => ({ id: u._id, email: u.email })).sort(byId),
    );
  });

  it('cuts a large listing into larger ranges, read a page at a time, so a build stays within its range limit', async () => {
    const { h } = await setup();
    // Three ranges at most per listing: 950 keys become ranges of 317, each read in several pages.
    const source = new IdmelonInventory(h.provider.client, { maxRanges: 3 });
    const ranges = await source.planFullSync(ctx());
    expect(ranges.filter((r) => r.kind === 'keys').length).toBeLessThanOrEqual(3);
    expect(ranges.filter((r) => r.kind === 'people').length).toBeLessThanOrEqual(3);
    const { keys } = await fullSync(source);
    const active = h.sandbox.workspace.keys.filter((k) => k.status === 20);
    expect([...keys.values()].map(held).sort(byId)).toEqual(active.map(expected).sort(byId));
    // A million keys and half a million people plan within what one build holds.
    const huge = new IdmelonInventory({
      listSecurityKeys: async () => ({ data: [], total: 1_000_000, limit: 1, skip: 0 }),
      listUsers: async () => ({ data: [], total: 500_000, limit: 1, skip: 0 }),
    } as unknown as IdmelonClient);
    const plan = await huge.planFullSync(ctx());
    expect(plan.length).toBeLessThanOrEqual(MAX_PLANNED_RANGES);
    expect(plan.filter((r) => r.kind === 'keys').at(-2)?.size).toBe(1250);
  });

  it('loses no key when keys are deleted between the plan and the reads', async () => {
    const { h, source } = await setup();
    const ranges = (await source.planFullSync(ctx())).filter((r) => r.kind === 'keys');
    const reads: RangeRead[] = [];
    const half = Math.floor(ranges.length / 2);
    for (const r of ranges.slice(0, half)) reads.push(await source.readRange(r, ctx()));
    // Deleted from the windows already read: every later key moves that many places towards the listing's start.
    const listed = h.sandbox.workspace.keys.filter((k) => k.status === 20);
    for (const k of listed.slice(0, 5)) h.sandbox.routes.revokeKey(k._id);
    for (const r of ranges.slice(half)) reads.push(await source.readRange(r, ctx()));
    const keys = new Set(reads.flatMap((r) => r.keys).map((k) => k.id));
    for (const k of h.sandbox.workspace.keys.filter((x) => x.status === 20))
      expect(keys.has(k._id)).toBe(true);
  });

  it('reports keys used since the cursor by reading only their owners’ keys again', async () => {
    const { h, source } = await setup();
    const cursor = await source.cursorNow(ctx());
    await fullSync(source);
    const w = h.sandbox.workspace;
    const activeOf = (owner: string) => w.keys.filter((k) => k.ownerId === owner && k.status === 20);
    const owners = [...new Set(w.keys.filter((k) => k.status === 20).map((k) => k.ownerId))].filter(
      (o) => activeOf(o).length >= 2,
    );
    const [a, b, c] = owners as [string, string, string];
    const usedA = activeOf(a)[0] as SandboxKey;
    const usedB = activeOf(b)[0] as SandboxKey;
    const revokedB = activeOf(b)[1] as SandboxKey;
    h.sandbox.routes.useKey(usedA._id, new Date(NOW.getTime() + 60_000));
    h.sandbox.routes.useKey(usedB._id, new Date(NOW.getTime() + 61_000));
    const addedA = h.sandbox.routes.addKey(a);
    h.sandbox.routes.revokeKey(revokedB._id);
    // Invisible to the logs: a key never used, of someone who signed in with none, and a new user.
    const addedC = h.sandbox.routes.addKey(c);
    h.sandbox.routes.addUser();
    h.sandbox.server.clearLog();

    const changes = await source.changesSince(cursor, ctx());
    expect([...(changes.ownersReread ?? [])].sort()).toEqual([a, b].sort());
    expect(changes.keys.map(held).sort(byId)).toEqual(
      [...activeOf(a), ...activeOf(b)].map(expected).sort(byId),
    );
    const ids = changes.keys.map((k) => k.id);
    expect(ids).toContain(addedA._id);
    expect(ids).not.toContain(revokedB._id);
    expect(ids).not.toContain(addedC._id);
    expect(changes.keys.find((k) => k.id === usedA._id)?.lastUsedAt).toBe(
      new Date(NOW.getTime() + 60_000).toISOString(),
    );
    expect(changes.people).toEqual([]);
    // One log page, one page of the keys listing (newest use first) to learn the owners, one request per owner.
    expect(h.sandbox.server.count(LOGS)).toBe(1);
    expect(h.sandbox.server.count(KEYS)).toBe(1);
    expect(h.sandbox.server.count(OWNER_KEYS)).toBe(2);
    expect(h.sandbox.server.requests).toHaveLength(4);

    h.sandbox.server.clearLog();
    const again = await source.changesSince(changes.cursor, ctx());
    expect(again).toMatchObject({ keys: [], removedKeys: [], people: [], removedPeople: [] });
    expect(again.ownersReread).toBeUndefined();
    expect(h.sandbox.server.requests).toHaveLength(1);
  });

  it('finds an authentication logged at the very time of the cursor, once', async () => {
    const { h, source } = await setup();
    const active = h.sandbox.workspace.keys.filter((k) => k.status === 20);
    const at = new Date(NOW.getTime() + 5_000);
    h.sandbox.routes.useKey((active[0] as SandboxKey)._id, at);
    const cursor = await source.cursorNow(ctx());
    // Written after the cursor was taken, with the same timestamp as the newest entry it saw.
    const late = active.find((k) => k.ownerId !== (active[0] as SandboxKey).ownerId) as SandboxKey;
    h.sandbox.routes.useKey(late._id, at);
    const changes = await source.changesSince(cursor, ctx());
    expect(changes.ownersReread).toEqual([late.ownerId]);
    expect(changes.keys.map((k) => k.id)).toContain(late._id);
    const again = await source.changesSince(changes.cursor, ctx());
    expect(again.keys).toEqual([]);
  });

  it('starts from the log’s beginning when the log was empty', async () => {
    h = await idmelonHarness({ users: 20, keys: 40, logs: 0 });
    const source = idmelonVendor.inventory?.(h.provider) as InventorySource;
    const cursor = await source.cursorNow(ctx());
    const key = h.sandbox.workspace.keys.find((k) => k.status === 20) as SandboxKey;
    h.sandbox.routes.useKey(key._id, new Date('2000-01-01T00:00:00Z'));
    const changes = await source.changesSince(cursor, ctx());
    expect(changes.ownersReread).toEqual([key.ownerId]);
  });
});
