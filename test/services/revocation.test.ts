import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/domain/clock.js';
import { jsonLogger } from '../../src/log.js';
import { inventoried } from '../../src/services/inventoried.js';
import {
  type CreatedRequest,
  createRequests,
  decide,
  executeRequest,
  type RevocationDeps,
} from '../../src/services/revocation.js';
import { RequestStore } from '../../src/store/requests.js';
import { documentClient } from '../../src/store/table.js';
import { localTable } from '../helpers/dynamo.js';
import { type IdmelonHarness, idmelonHarness, NOW } from '../helpers/idmelon.js';
import { idmelonInventory, MemoryInventory } from '../helpers/inventory.js';

/** Requests that cover one vendor make exactly one request. */
async function createOne(...args: Parameters<typeof createRequests>): Promise<CreatedRequest> {
  const created = await createRequests(...args);
  if (created.length !== 1) throw new Error(`expected one request, got ${created.length}`);
  return created[0] as CreatedRequest;
}

const logger = jsonLogger({ level: 'debug' });

describe('revocation (service, IDmelon sandbox, dynalite)', () => {
  let db: Awaited<ReturnType<typeof localTable>>;
  let h: IdmelonHarness;
  let now = NOW.getTime();
  const clock = { now: () => new Date(now) };
  let store: RequestStore;
  let deps: RevocationDeps;

  beforeAll(async () => {
    db = await localTable();
    store = new RequestStore(documentClient(db.client), {
      table: db.table,
      clock: { now: () => new Date(now) },
    });
  });
  afterAll(async () => {
    await db.close();
  });
  afterEach(async () => {
    await h?.close();
    now = NOW.getTime();
  });

  async function setup(options: Parameters<typeof idmelonHarness>[0] = {}, dryRun = false) {
    h = await idmelonHarness(options);
    deps = { store, providers: [h.provider], clock, logger, dryRun };
  }

  /** A pending request, by UREQ, for the sandbox's first key. */
  async function requestFirstKey() {
    const key = h.sandbox.workspace.keys[0];
    if (!key) throw new Error('the sandbox has no keys');
    const { request } = await createOne(
      { kind: 'keys', refs: [{ vendor: 'idmelon', id: key._id, ownerId: key.ownerId }] },
      { requester: 'UREQ', ttlHours: 24 },
      deps,
    );
    return { key, request };
  }

  const staleIds = (days: number) =>
    h.sandbox.workspace.keys
      .filter(
        (k) =>
          k.status === 20 &&
          (k.lastActivityAt === null || Date.parse(k.lastActivityAt) < now - days * DAY_MS),
      )
      .map((k) => k._id)
      .sort();

  it('records one key as it is now, and revokes it with a single DELETE once approved', async () => {
    await setup({ users: 20, keys: 60, logs: 0 });
    const key = h.sandbox.workspace.keys[1];
    if (!key) throw new Error('no key');
    const { request, keys } = await createOne(
      { kind: 'keys', refs: [{ vendor: 'idmelon', id: key._id, ownerId: key.ownerId }] },
      { requester: 'UREQ', ttlHours: 24 },
      deps,
    );
    expect(request).toMatchObject({ state: 'pending', requester: 'UREQ', keyCount: 1, vendors: ['idmelon'] });
    expect(keys[0]).toMatchObject({ id: key._id, name: key.name, lastUsedAt: key.lastActivityAt });
    expect(await decide(store, request.id, 'UAPP', 'approve')).toMatchObject({ kind: 'approved' });
    h.sandbox.server.clearLog();
    const result = await executeRequest(request.id, deps);
    expect(result.kind).toBe('done');
    expect(h.sandbox.server.requests.filter((r) => r.method === 'DELETE')).toEqual([
      {
        method: 'DELETE',
        path: `/administrator/securityDevice/${key._id}`,
        query: `?_id=${key._id}`,
        body: undefined,
      },
    ]);
    expect(h.sandbox.routes.deletions).toEqual([key._id]);
    expect(result.kind === 'done' && result.request.summary).toMatchObject({ deleted: 1 });
  });

  it('refuses self-approval, and an approval after expiry (which expires the request)', async () => {
    await setup({ users: 20, keys: 60, logs: 0 });
    const { request } = await requestFirstKey();
    expect(await decide(store, request.id, 'UREQ', 'approve')).toMatchObject({
      kind: 'refused',
      why: 'self',
    });
    now += 25 * 3_600_000;
    expect(await decide(store, request.id, 'UAPP', 'approve')).toMatchObject({
      kind: 'refused',
      why: 'expired',
      request: { state: 'expired' },
    });
    expect(await decide(store, request.id, 'UAPP', 'approve')).toMatchObject({
      kind: 'refused',
      why: 'already',
      request: { state: 'expired' },
    });
    expect(await executeRequest(request.id, deps)).toMatchObject({ kind: 'not_runnable' });
    expect(h.sandbox.routes.deletions).toEqual([]);
  });

  it('denies with the approver’s reason: nothing runs afterwards', async () => {
    await setup({ users: 20, keys: 60, logs: 0 });
    const { request } = await requestFirstKey();
    expect(await decide(store, request.id, 'UAPP', 'deny', 'the owner still uses it')).toMatchObject({
      kind: 'denied',
      request: { deniedBy: 'UAPP', denyReason: 'the owner still uses it' },
    });
    expect(await store.get(request.id)).toMatchObject({ denyReason: 'the owner still uses it' });
    expect(await decide(store, request.id, 'UOTHER', 'approve')).toMatchObject({
      kind: 'refused',
      why: 'already',
    });
    expect(await executeRequest(request.id, deps)).toMatchObject({ kind: 'not_runnable' });
    expect(h.sandbox.routes.deletions).toEqual([]);
  });

  it('lets exactly one of 50 simultaneous approvals through', async () => {
    await setup({ users: 20, keys: 60, logs: 0 });
    const { key, request } = await requestFirstKey();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => decide(store, request.id, `UAPP${i}`, 'approve')),
    );
    expect(results.filter((r) => r.kind === 'approved')).toHaveLength(1);
    const executions = await Promise.all(Array.from({ length: 50 }, () => executeRequest(request.id, deps)));
    expect(executions.filter((e) => e.kind === 'done')).toHaveLength(1);
    expect(h.sandbox.routes.deletions).toEqual([key?._id]);
  });

  it('chunks a bulk request of 1 000+ keys and records each key’s outcome', async () => {
    await setup({
      users: 2000,
      keys: 10_000,
      logs: 0,
      staleRatio: 0.1,
      neverUsedRatio: 0.005,
      pendingRatio: 0,
    });
    const { request, keys } = await createOne(
      { kind: 'stale', days: 90 },
      { requester: 'UREQ', ttlHours: 24 },
      deps,
    );
    expect(keys.length).toBeGreaterThanOrEqual(1000);
    expect(keys.map((k) => k.id).sort()).toEqual(staleIds(90));
    expect(request.thresholdDays).toBe(90);
    await decide(store, request.id, 'UAPP', 'approve');
    h.sandbox.server.clearLog();
    const result = await executeRequest(request.id, deps);
    expect(result.kind).toBe('done');
    const bulk = h.sandbox.server.requests.filter((r) => r.method === 'DELETE');
    expect(bulk.length).toBe(Math.ceil(keys.length / 100));
    for (const call of bulk) {
      expect(call.path).toBe('/administrator/securityDevice/');
      expect((call.body as { _ids: string[] })._ids.length).toBeLessThanOrEqual(100);
    }
    expect([...h.sandbox.routes.deletions].sort()).toEqual(keys.map((k) => k.id).sort());
    const stored = await store.keys(request.id);
    expect(stored).toHaveLength(keys.length);
    expect(stored.every((k) => k.outcome === 'deleted')).toBe(true);
  });

  it('skips a key used after the request, and reports one gone since as already gone', async () => {
    await setup({ users: 200, keys: 600, logs: 0 });
    const { request, keys } = await createOne(
      { kind: 'stale', days: 90 },
      { requester: 'UREQ', ttlHours: 24 },
      deps,
    );
    const [used, gone] = keys;
    if (!used || !gone) throw new Error('need two stale keys');
    h.sandbox.routes.useKey(used.id, new Date(now - 60_000));
    const res = await fetch(`${h.sandbox.url}/administrator/securityDevice/${gone.id}?_id=${gone.id}`, {
      method: 'DELETE',
      headers: { authorization: h.sandbox.apiKey },
    });
    expect(res.status).toBe(200);
    await decide(store, request.id, 'UAPP', 'approve');
    const result = await executeRequest(request.id, deps);
    expect(result.kind).toBe('done');
    const stored = new Map((await store.keys(request.id)).map((k) => [k.id, k]));
    expect(stored.get(used.id)?.outcome).toBe('used_since_request');
    expect(stored.get(gone.id)?.outcome).toBe('already_gone');
    expect(h.sandbox.workspace.keys.some((k) => k._id === used.id)).toBe(true);
    expect(result.kind === 'done' && result.request.summary).toMatchObject({
      used_since_request: 1,
      already_gone: 1,
      deleted: keys.length - 2,
    });
  });

  it('revokes from an inventory-backed list only what the vendor still shows unused at execution', async () => {
    await setup({ users: 200, keys: 600, logs: 0 });
    // The inventory was refreshed ten minutes ago; since then someone used one of the keys it holds as stale.
    const inventory = new MemoryInventory();
    await inventory.publishSnapshot(
      'idmelon',
      idmelonInventory(h.sandbox.workspace),
      new Date(now - 10 * 60_000).toISOString(),
    );
    const throughInventory = inventoried(h.provider, inventory, { maxAgeMs: 3_600_000, clock });
    const [used] = staleIds(90);
    if (!used) throw new Error('need a stale key');
    h.sandbox.routes.useKey(used, new Date(now - 60_000));
    h.sandbox.server.clearLog();
    const { request, keys } = await createOne(
      { kind: 'stale', days: 90 },
      { requester: 'UREQ', ttlHours: 24 },
      { ...deps, providers: [throughInventory] },
    );
    // The list came from the inventory, so it still names the key…
    expect(h.sandbox.server.count('/administrator/securityDevice')).toBe(0);
    expect(keys.map((k) => k.id)).toContain(used);
    await decide(store, request.id, 'UAPP', 'approve');
    const result = await executeRequest(request.id, { ...deps, providers: [throughInventory] });
    expect(result.kind).toBe('done');
    // …and execution asked IDmelon about every key before deleting: the used one stays.
    const stored = new Map((await store.keys(request.id)).map((k) => [k.id, k]));
    expect(stored.get(used)?.outcome).toBe('used_since_request');
    expect(h.sandbox.workspace.keys.some((k) => k._id === used)).toBe(true);
    expect(h.sandbox.routes.deletions).not.toContain(used);
    expect(result.kind === 'done' && result.request.summary).toMatchObject({
      used_since_request: 1,
      deleted: keys.length - 1,
    });
  });

  it('reports a partial outcome when the vendor fails half-way, and a retry finishes without deleting twice', async () => {
    await setup({ users: 2000, keys: 6000, logs: 0, staleRatio: 0.1, neverUsedRatio: 0 });
    const { request, keys } = await createOne(
      { kind: 'stale', days: 90 },
      { requester: 'UREQ', ttlHours: 24 },
      deps,
    );
    expect(keys.length).toBeGreaterThan(300);
    await decide(store, request.id, 'UAPP', 'approve');
    let bulkCalls = 0;
    h.sandbox.inject({
      fault: { kind: 'status', status: 503 },
      match: (req) => req.method === 'DELETE' && ++bulkCalls > 2,
    });
    const first = await executeRequest(request.id, deps);
    expect(first.kind).toBe('partial');
    expect(first.kind === 'partial' && first.error).toMatch(/IDmelon is failing/);
    expect(h.sandbox.routes.deletions).toHaveLength(200);
    const afterFirst = await store.get(request.id);
    expect(afterFirst).toMatchObject({
      state: 'approved',
      lastError: expect.stringMatching(/IDmelon is failing/),
    });
    const outcomes = (await store.keys(request.id)).map((k) => k.outcome);
    expect(outcomes.filter((o) => o === 'deleted')).toHaveLength(200);
    expect(outcomes.filter((o) => o === 'failed')).toHaveLength(100);

    h.sandbox.server.clearFaults();
    const second = await executeRequest(request.id, deps);
    expect(second.kind).toBe('done');
    expect(new Set(h.sandbox.routes.deletions).size).toBe(h.sandbox.routes.deletions.length);
    expect([...h.sandbox.routes.deletions].sort()).toEqual(keys.map((k) => k.id).sort());
    expect(second.kind === 'done' && second.request.summary).toMatchObject({
      deleted: keys.length,
      failed: 0,
    });
  });

  it('resumes an execution whose worker died (lease lapsed) without deleting twice', async () => {
    await setup({ users: 20, keys: 60, logs: 0 });
    const key = h.sandbox.workspace.keys[0];
    const shortLease = new RequestStore(documentClient(db.client), {
      table: db.table,
      clock: { now: () => new Date(now) },
      leaseMs: 1000,
    });
    const d = { ...deps, store: shortLease };
    const { request } = await createOne(
      { kind: 'keys', refs: [{ vendor: 'idmelon', id: key?._id as string, ownerId: key?.ownerId }] },
      { requester: 'UREQ', ttlHours: 24 },
      d,
    );
    await decide(shortLease, request.id, 'UAPP', 'approve');
    // A worker claims the execution, deletes the key, then dies before recording anything.
    expect((await shortLease.claimExecution(request.id)).ok).toBe(true);
    await fetch(`${h.sandbox.url}/administrator/securityDevice/${key?._id}?_id=${key?._id}`, {
      method: 'DELETE',
      headers: { authorization: h.sandbox.apiKey },
    });
    expect(await executeRequest(request.id, d)).toMatchObject({ kind: 'not_runnable' });
    now += 1001;
    const resumed = await executeRequest(request.id, d);
    expect(resumed).toMatchObject({ kind: 'done', request: { summary: { already_gone: 1, deleted: 0 } } });
    expect(h.sandbox.routes.deletions).toEqual([key?._id]);
  });

  it('reports a key deleted by a run that died before recording it as deleted, not already gone', async () => {
    await setup({ users: 20, keys: 60, logs: 0 });
    const key = h.sandbox.workspace.keys[0];
    const shortLease = new RequestStore(documentClient(db.client), {
      table: db.table,
      clock: { now: () => new Date(now) },
      leaseMs: 1000,
    });
    const d = { ...deps, store: shortLease };
    const { request, keys } = await createOne(
      { kind: 'keys', refs: [{ vendor: 'idmelon', id: key?._id as string, ownerId: key?.ownerId }] },
      { requester: 'UREQ', ttlHours: 24 },
      d,
    );
    await decide(shortLease, request.id, 'UAPP', 'approve');
    // A run claims the execution, writes the batch down, the vendor deletes the key, and the run dies.
    const claim = await shortLease.claimExecution(request.id);
    expect(claim.ok).toBe(true);
    await shortLease.markSent(request.id, claim.ok ? claim.request.attempt : 0, 0, keys);
    await fetch(`${h.sandbox.url}/administrator/securityDevice/${key?._id}?_id=${key?._id}`, {
      method: 'DELETE',
      headers: { authorization: h.sandbox.apiKey },
    });
    now += 1001;
    const resumed = await executeRequest(request.id, d);
    expect(resumed).toMatchObject({ kind: 'done', request: { summary: { deleted: 1, already_gone: 0 } } });
    const [stored] = await shortLease.keys(request.id);
    expect(stored).toMatchObject({ outcome: 'deleted', detail: expect.stringMatching(/interrupted/) });
    expect(h.sandbox.routes.deletions).toEqual([key?._id]);
  });

  it('runs a large request in time slices, each handing over to the next, deleting every key once', async () => {
    await setup({ users: 500, keys: 3000, logs: 0, staleRatio: 0.3, neverUsedRatio: 0, pendingRatio: 0 });
    // Every read of the clock moves it one second, so a 2.5 s slice ends after a batch or two.
    const ticking = {
      now: () => {
        now += 1000;
        return new Date(now);
      },
    };
    const d: RevocationDeps = { ...deps, clock: ticking, sliceMs: 2_500, validateWindow: 250 };
    const { request, keys } = await createOne(
      { kind: 'stale', days: 90 },
      { requester: 'UREQ', ttlHours: 24 },
      d,
    );
    expect(keys.length).toBeGreaterThan(500);
    await decide(store, request.id, 'UAPP', 'approve');
    h.sandbox.server.clearLog();
    const kinds: string[] = [];
    for (let slice = 0; slice < 200; slice++) {
      const result = await executeRequest(request.id, d);
      kinds.push(result.kind);
      if (result.kind !== 'continue') break;
      expect((await store.get(request.id))?.state).toBe('approved');
    }
    expect(kinds.at(-1)).toBe('done');
    expect(kinds.filter((k) => k === 'continue').length).toBeGreaterThanOrEqual(
      Math.floor(keys.length / 250) - 1,
    );
    expect(h.sandbox.routes.deletions).toHaveLength(new Set(h.sandbox.routes.deletions).size);
    expect([...h.sandbox.routes.deletions].sort()).toEqual(keys.map((k) => k.id).sort());
    expect(await store.get(request.id)).toMatchObject({ state: 'done', summary: { deleted: keys.length } });
  });

  it('refuses a key from a stale row that was used since the list was made, and says why', async () => {
    await setup({ users: 50, keys: 200, logs: 0 });
    const [stale] = staleIds(90);
    const key = h.sandbox.workspace.keys.find((k) => k._id === stale);
    if (!key) throw new Error('no stale key');
    h.sandbox.routes.useKey(key._id, new Date(now - 60_000));
    await expect(
      createRequests(
        { kind: 'keys', refs: [{ vendor: 'idmelon', id: key._id, ownerId: key.ownerId }], thresholdDays: 90 },
        { requester: 'UREQ', ttlHours: 24 },
        deps,
      ),
    ).rejects.toThrow(
      /no longer qualifies as unused for 90\+ days \(used \d{4}-\d\d-\d\d, after the cutoff\)/,
    );
  });

  it('records what it verified of a stale row, and when', async () => {
    await setup({ users: 50, keys: 200, logs: 0 });
    const [stale] = staleIds(90);
    const key = h.sandbox.workspace.keys.find((k) => k._id === stale);
    if (!key) throw new Error('no stale key');
    const { request } = await createOne(
      { kind: 'keys', refs: [{ vendor: 'idmelon', id: key._id, ownerId: key.ownerId }], thresholdDays: 90 },
      { requester: 'UREQ', ttlHours: 24 },
      deps,
    );
    expect(request).toMatchObject({
      criterion: 'unused',
      thresholdDays: 90,
      verifiedAt: new Date(now).toISOString(),
    });
  });

  it('in dry run, checks everything and sends no DELETE', async () => {
    await setup({ users: 200, keys: 600, logs: 0 }, true);
    const { request, keys } = await createOne(
      { kind: 'stale', days: 90 },
      { requester: 'UREQ', ttlHours: 24 },
      deps,
    );
    expect(request.dryRun).toBe(true);
    await decide(store, request.id, 'UAPP', 'approve');
    const result = await executeRequest(request.id, deps);
    expect(result).toMatchObject({
      kind: 'done',
      request: { summary: { would_delete: keys.length, deleted: 0 } },
    });
    expect(h.sandbox.server.count(/securityDevice/, 'DELETE')).toBe(0);
    expect(h.sandbox.routes.deletions).toEqual([]);
  });

  it('refuses to request a key that no longer exists', async () => {
    await setup({ users: 20, keys: 60, logs: 0 });
    const owner = h.sandbox.workspace.users[0]?._id;
    await expect(
      createOne(
        { kind: 'keys', refs: [{ vendor: 'idmelon', id: 'ffffffffffffffffffffffff', ownerId: owner }] },
        { requester: 'UREQ', ttlHours: 24 },
        deps,
      ),
    ).rejects.toThrow('That key no longer exists; nothing to revoke.');
  });
});

describe('request store (dynalite)', () => {
  it('keeps records for 400 days by default, as a TTL attribute', async () => {
    const db = await localTable();
    try {
      const now = Date.parse('2026-01-01T00:00:00Z');
      const store = new RequestStore(documentClient(db.client), {
        table: db.table,
        clock: { now: () => new Date(now) },
      });
      await store.create({
        id: 'R-TESTTTL1',
        requester: 'U1',
        validUntil: new Date(now + 3_600_000).toISOString(),
        dryRun: false,
        keys: [{ vendor: 'idmelon', id: 'k1', name: 'k', type: 'phone', lastUsedAt: null }],
      });
      const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
      const raw = await documentClient(db.client).send(
        new GetCommand({ TableName: db.table, Key: { pk: 'REQ#R-TESTTTL1', sk: 'REQ' } }),
      );
      expect(raw.Item?.expiresAt).toBe(Math.floor((now + 400 * DAY_MS) / 1000));
    } finally {
      await db.close();
    }
  });
});
