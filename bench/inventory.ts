import { startIdmelonSandbox } from '../sandbox/idmelon/index.js';
import { startTryMellonSandbox } from '../sandbox/trymellon/index.js';
import type { TmCredential } from '../sandbox/trymellon/workspace.js';
import { DAY_MS, fixedClock, systemClock } from '../src/domain/clock.js';
import { Deadline, newMeter } from '../src/domain/deadline.js';
import type { SyncRange } from '../src/domain/inventory.js';
import { silentLogger } from '../src/domain/logger.js';
import type { Key, OperationContext, Provider, UserSummary, VendorId } from '../src/domain/provider.js';
import { staticSecret } from '../src/http/credentials.js';
import { undiciTransport } from '../src/http/transport.js';
import { startLocalDynamo } from '../src/local/dynamo.js';
import type { IdmelonClient } from '../src/providers/idmelon/client.js';
import { createIdmelonInventory, createIdmelonProvider } from '../src/providers/idmelon/index.js';
import { IdmelonInventory } from '../src/providers/idmelon/inventory.js';
import { createTryMellonInventory, createTryMellonProvider } from '../src/providers/trymellon/index.js';
import { inventoried } from '../src/services/inventoried.js';
import { type InventoryDeps, refreshInventory, syncNow } from '../src/services/inventory.js';
import { InventoryBudgetTable, InventoryTable, MAX_PLANNED_RANGES } from '../src/store/inventory.js';
import { documentClient, ensureTable } from '../src/store/table.js';
import { median, ms, type Row, type Section, timed } from './lib.js';

const LATENCY_MS = 50;
/** A fixed day, so the data is dated the same way on every run. */
const NOW = new Date('2025-06-02T09:00:00.000Z');
const CUTOFF = new Date(NOW.getTime() - 90 * DAY_MS);
const STALE_RUNS = 9;
const LOOKUP_RUNS = 20;

/**
 * Sizes dynalite can load within the section's few minutes (it stores ~2 000 items a second here, and a key is three
 * items): the 1 M-key and 500 k-user sizes the goals name cannot be loaded, so each read is measured at two sizes to
 * show what its cost grows with.
 */
const STALE_KEYS = 10_000;
const FRESH_SMALL = 10_000;
const FRESH_LARGE = 30_000;
const PEOPLE_SMALL = 5_000;
const PEOPLE_LARGE = 20_000;
const TM_USERS_SMALL = 5_000;
const TM_USERS_LARGE = 20_000;
/** The live TryMellon scan and the refresh: small enough to read whole at 50 ms a request. */
const TM_LIVE_USERS = 500;
const TM_EVENTS = 1_000;
const TM_TOUCHED = 40;
const SYNC_KEYS = 10_000;
const SYNC_USERS = 1_000;
const SYNC_RATE = 20;
const SYNC_CONCURRENCY = 2;

/** The production sizes the prediction is for, and what it assumes of DynamoDB on demand. */
const PROD_KEYS = 1_000_000;
const PROD_PEOPLE = 500_000;
const ASSUMED_WRITES_PER_RANGE = 4_000;
/** The build's own DynamoDB calls per range (read the build, mark the range, count it on the build). */
const ASSUMED_BOOKKEEPING_MS = 50;

const NAMES = ['alice', 'bob', 'carol', 'dan', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'];
const iso = (t: number) => new Date(t).toISOString();
const n = (x: number) => Math.round(x).toLocaleString('en-US');
/** How a time changed between the smaller and the larger size. */
const growth = ([small, large]: readonly [number, number]) =>
  `${large >= small ? '+' : '−'}${Math.abs(Math.round((100 * (large - small)) / small))}%`;
const ctx = (): OperationContext => ({ deadline: Deadline.after(600_000), meter: newMeter() });

function key(vendor: VendorId, i: number, lastUsedAt: string, owners: number): Key {
  const o = i % owners;
  return {
    vendor,
    id: `${vendor}-key-${i}`,
    name: `Key ${i}`,
    type: vendor === 'trymellon' ? 'passkey' : 'phone',
    owner: { id: `owner-${o}`, email: `owner.${o}@acme.example`, name: `Owner ${o}` },
    lastUsedAt,
    createdAt: iso(NOW.getTime() - 400 * DAY_MS),
    uses: 12,
    status: 'active',
  };
}

/** Used 91–590 days ago: before the cutoff. */
const staleAt = (i: number) => iso(CUTOFF.getTime() - DAY_MS - (i % 500) * DAY_MS);
/** Used within the last 89 days. */
const freshAt = (i: number) => iso(NOW.getTime() - (i % 89) * DAY_MS - 3_600_000);

function person(i: number): UserSummary {
  const first = NAMES[i % NAMES.length] as string;
  return { vendor: 'idmelon', id: `person-${i}`, email: `${first}.${i}@acme.example`, name: `${first} ${i}` };
}

/** Stores keys and people through the store's own build: one range per chunk, then a publish. */
async function build(
  store: InventoryTable,
  vendor: VendorId,
  keys: Key[],
  people: UserSummary[],
): Promise<void> {
  const chunk = 2_000;
  const reads: Array<{ keys: Key[]; people: UserSummary[] }> = [];
  for (let i = 0; i < keys.length; i += chunk) reads.push({ keys: keys.slice(i, i + chunk), people: [] });
  for (let i = 0; i < people.length; i += chunk) reads.push({ keys: [], people: people.slice(i, i + chunk) });
  const ranges = reads.map((_, i) => ({ id: `bench-${i}`, kind: 'all' as const }));
  const generation = `bench-${vendor}`;
  const at = NOW.toISOString();
  if (!(await store.startBuild(vendor, { generation, startedAt: at, cursor: 'c0', ranges }, 0)))
    throw new Error(`${vendor}: the bench build did not start`);
  for (const [i, read] of reads.entries())
    await store.completeRange(vendor, generation, ranges[i] as (typeof ranges)[number], read, at);
  if (!(await store.publish(vendor, generation, at)))
    throw new Error(`${vendor}: the bench build was not published`);
}

/**
 * Median times of the same read at the smaller and the larger size, the runs interleaved so a drift in the machine's
 * load or the process's heap falls on both alike.
 */
async function interleaved(
  runs: number,
  read: (size: 0 | 1, run: number) => Promise<void>,
): Promise<[number, number]> {
  const times: [number[], number[]] = [[], []];
  for (let r = 0; r < runs; r++)
    for (const size of [0, 1] as const) times[size].push((await timed(() => read(size, r))).ms);
  return [median(times[0]), median(times[1])];
}

const staleScan = (providers: readonly [Provider, Provider], expected: readonly [number, number]) =>
  interleaved(STALE_RUNS, async (size) => {
    const result = await providers[size].listStale({ cutoff: CUTOFF }, ctx());
    if (result.read?.from !== 'inventory') throw new Error(`the stale scan read ${result.read?.from}`);
    if (result.stale.length !== expected[size])
      throw new Error(`the inventory listed ${result.stale.length} stale keys, not ${expected[size]}`);
  });

const lookup = (
  providers: readonly [Provider, Provider],
  people: readonly [number, number],
  query: (i: number) => string,
  expectMatch: (i: number, found: UserSummary[]) => boolean,
) =>
  interleaved(LOOKUP_RUNS, async (size, run) => {
    const i = Math.floor(((run + 0.5) * people[size]) / LOOKUP_RUNS);
    const found = await providers[size].findUsers(query(i), ctx());
    if (!expectMatch(i, found)) throw new Error(`the lookup of ${query(i)} found ${found.length}`);
  });

/** Never called: the reads measured here are answered from the inventory, and checked to be. */
const UNUSED_URL = 'http://127.0.0.1:9';

/**
 * The inventory's figures: stale lists and lookups answered from it, what a TryMellon refresh costs, and
 * what a full sync costs under the vendor's request budget, with a prediction for a 1 M-key workspace.
 */
export async function benchInventory(): Promise<Section> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const clock = fixedClock(NOW);
  let staleTimes: [number, number] = [0, 0];
  let lookupTimes: [number, number] = [0, 0];
  const fresh = { maxAgeMs: DAY_MS, clock };
  const transport = undiciTransport({ connections: 32 });

  // ---- 1, 2, 3: reads from a loaded inventory, the smaller and the larger size in two tables side by side ----
  const tables = ['keywarden-bench-inventory', 'keywarden-bench-inventory-large'] as const;
  const table = tables[0];
  let dynamo = await startLocalDynamo({ table });
  let loadItems = 0;
  let loadMs = 0;
  const loaded = async (items: number, fn: () => Promise<unknown>) => {
    const t = await timed(fn);
    loadItems += items;
    loadMs += t.ms;
  };
  try {
    await ensureTable(dynamo.client, tables[1]);
    const db = documentClient(dynamo.client);
    const stores = tables.map((t) => new InventoryTable(db, { table: t })) as [
      InventoryTable,
      InventoryTable,
    ];
    const both = (make: (store: InventoryTable) => Provider) => [make(stores[0]), make(stores[1])] as const;
    const idmelonStub = createIdmelonProvider({
      baseUrl: UNUSED_URL,
      apiKey: staticSecret('unused'),
      transport,
    });
    const idmelon = both((store) => inventoried(idmelonStub, store, fresh));
    const freshCounts = [FRESH_SMALL, FRESH_LARGE] as const;
    const peopleCounts = [PEOPLE_SMALL, PEOPLE_LARGE] as const;
    for (const size of [0, 1] as const) {
      const keys = Array.from({ length: STALE_KEYS + freshCounts[size] }, (_, i) =>
        key('idmelon', i, i < STALE_KEYS ? staleAt(i) : freshAt(i), 4_000),
      );
      const people = Array.from({ length: peopleCounts[size] }, (_, i) => person(i));
      await loaded(3 * keys.length + 3 * people.length, () => build(stores[size], 'idmelon', keys, people));
    }
    const [staleSmall, staleLarge] = await staleScan(idmelon, [STALE_KEYS, STALE_KEYS]);
    const exact = (i: number, found: UserSummary[]) => found[0]?.id === `person-${i}`;
    const lookEmail = await lookup(idmelon, peopleCounts, (i) => person(i).email as string, exact);
    const lookId = await lookup(idmelon, peopleCounts, (i) => `person-${i}`, exact);
    // A first name: each is shared by a tenth of the people, so the read is capped by the lookup's limit.
    const lookName = await lookup(
      idmelon,
      peopleCounts,
      (i) => NAMES[i % NAMES.length] as string,
      (_, found) => found.length > 0,
    );
    staleTimes = [staleSmall, staleLarge];
    lookupTimes = [lookEmail[0] + lookId[0] + lookName[0], lookEmail[1] + lookId[1] + lookName[1]];

    rows.push(
      {
        measure: `inventory stale scan: ${n(STALE_KEYS)} stale + ${n(FRESH_SMALL)} fresh keys`,
        value: ms(staleSmall),
        goal: '',
      },
      {
        measure: `inventory stale scan: ${n(STALE_KEYS)} stale + ${n(FRESH_LARGE)} fresh keys`,
        value: ms(staleLarge),
        goal: '',
      },
      {
        measure: `inventory stale scan, 1 M keys 1% stale (= the ${n(STALE_KEYS)}-stale figure)`,
        value: ms(Math.max(staleSmall, staleLarge)),
        goal: '≤ 300 ms',
        met: Math.max(staleSmall, staleLarge) <= 300,
      },
      {
        measure: 'the same answer read live (sorted scan, IDmelon section)',
        value: '11 requests at 100 k keys; ≈ 102 at 1 M',
        goal: '',
      },
    );
    for (const [label, [small, large]] of [
      ['exact email', lookEmail],
      ['id', lookId],
      ['name prefix (≤ 50 matches)', lookName],
    ] as const) {
      rows.push(
        { measure: `inventory lookup by ${label}: ${n(PEOPLE_SMALL)} people`, value: ms(small), goal: '' },
        {
          measure: `inventory lookup by ${label}: ${n(PEOPLE_LARGE)} people (for 500 k)`,
          value: ms(large),
          goal: '≤ 200 ms',
          met: large <= 200,
        },
      );
    }

    // TryMellon's stale list from the inventory: the same index, one passkey per user, 1% of them idle.
    const tmStub = createTryMellonProvider({
      baseUrl: UNUSED_URL,
      clientId: staticSecret('unused'),
      clientSecret: staticSecret('unused'),
      transport,
    });
    const trymellon = both((store) => inventoried(tmStub, store, fresh));
    const tmUsers = [TM_USERS_SMALL, TM_USERS_LARGE] as const;
    for (const size of [0, 1] as const) {
      const passkeys = Array.from({ length: tmUsers[size] }, (_, i) =>
        key('trymellon', i, i % 100 === 0 ? staleAt(i) : freshAt(i), Number.POSITIVE_INFINITY),
      );
      await loaded(3 * passkeys.length, () => build(stores[size], 'trymellon', passkeys, []));
    }
    const [tmSmall, tmLarge] = await staleScan(trymellon, [TM_USERS_SMALL / 100, TM_USERS_LARGE / 100]);
    rows.push(
      {
        measure: `TryMellon stale scan from the inventory: ${n(TM_USERS_SMALL)} users`,
        value: ms(tmSmall),
        goal: '',
      },
      {
        measure: `TryMellon stale scan from the inventory: ${n(TM_USERS_LARGE)} users (for 50 000)`,
        value: ms(tmLarge),
        goal: '≤ 300 ms',
        met: tmLarge <= 300,
      },
    );
  } finally {
    await dynamo.close();
  }
  const loadRate = loadItems / (loadMs / 1000);

  // ---- 3 (live) and 4: the TryMellon sandbox ----
  const tm = await startTryMellonSandbox({
    now: new Date(),
    users: TM_LIVE_USERS,
    events: 3_000,
    latencyMs: LATENCY_MS,
  });
  const vendorRequests = () => tm.server.requests.filter((r) => r.path !== '/oauth/token').length;
  dynamo = await startLocalDynamo({ table });
  try {
    const provider = createTryMellonProvider({
      baseUrl: tm.url,
      clientId: staticSecret(tm.clientId),
      clientSecret: staticSecret(tm.clientSecret),
      transport,
    });
    tm.server.clearLog();
    const live = await timed(() => provider.listStale({ cutoff: new Date(Date.now() - 90 * DAY_MS) }, ctx()));
    const liveRequests = vendorRequests();
    const perRequest = live.ms / liveRequests;
    const at50k = 50_000 / 100 + 50_000;
    rows.push(
      {
        measure: `TryMellon stale scan live: ${n(TM_LIVE_USERS)} users (measured)`,
        value: `${n(liveRequests)} requests, ${ms(live.ms)}`,
        goal: '',
      },
      {
        measure: 'TryMellon stale scan live: 50 000 users (U/100 + U requests)',
        value: `${n(at50k)} requests, ≈ ${((at50k * perRequest) / 60_000).toFixed(1)} min`,
        goal: '',
      },
    );

    const db = documentClient(dynamo.client);
    const deps: InventoryDeps = {
      store: new InventoryTable(db, { table }),
      budget: new InventoryBudgetTable(db, { table }),
      settings: { rate: 1_000, concurrency: 2 },
      clock: systemClock,
      logger: silentLogger,
    };
    const source = createTryMellonInventory(provider);
    const synced = await syncNow(source, deps);
    if (!synced.published) throw new Error('the TryMellon sync was not published');
    const w = tm.workspace;
    const users = w.users.filter((u) =>
      w.credentials.some((c) => c.userExternalId === u.external_user_id && c.status === 'active'),
    );
    const creds = users
      .slice(0, TM_TOUCHED)
      .map(
        (u) =>
          w.credentials.find(
            (c) => c.userExternalId === u.external_user_id && c.status === 'active',
          ) as TmCredential,
      );
    const start = Date.now();
    for (let i = 0; i < TM_EVENTS; i++)
      tm.activity.authenticate((creds[i % creds.length] as TmCredential).credential_id, new Date(start + i));
    tm.server.clearLog();
    const refresh = await timed(() => refreshInventory(source, deps));
    if (refresh.result.outcome !== 'applied') throw new Error(`the refresh was ${refresh.result.outcome}`);
    const audit = tm.server.count('/v1/audit-logs');
    const credentials = tm.server.count(/^\/v1\/users\/[^/]+\/credentials$/);
    const refreshRequests = vendorRequests();
    const goal = TM_EVENTS / 100 + TM_TOUCHED;
    rows.push({
      measure: `TryMellon refresh, ${n(TM_EVENTS)} events by ${TM_TOUCHED} users: requests`,
      value: `${refreshRequests} (${audit} audit pages + ${credentials} passkey reads), ${ms(refresh.ms)}`,
      goal: `≤ ${goal} (1 000/100 + ${TM_TOUCHED})`,
      met: refreshRequests <= goal,
    });
    notes.push(
      `TryMellon live scan: one users page per 100 users plus one credentials read per user, 8 at a time, so its time is ≈ U × ${ms(perRequest)} here; from the inventory it is the idle index's read of the 1% stale passkeys, whatever U is.`,
      `TryMellon refresh: the audit log is read newest first until an event older than the cursor shows, so ${n(TM_EVENTS)} new events take ${audit} pages (the last only to see past the cursor), then one credentials read per touched user.`,
    );
  } finally {
    await dynamo.close();
    await tm.close();
  }

  // ---- 5: a full sync of IDmelon under the request budget ----
  const im = await startIdmelonSandbox({
    now: NOW,
    users: SYNC_USERS,
    keys: SYNC_KEYS,
    logs: 0,
    pendingRatio: 0,
    latencyMs: LATENCY_MS,
  });
  dynamo = await startLocalDynamo({ table });
  let plannedAt1M = 0;
  try {
    const db = documentClient(dynamo.client);
    const store = new InventoryTable(db, { table });
    const provider = createIdmelonProvider({ baseUrl: im.url, apiKey: staticSecret(im.apiKey), transport });
    const deps: InventoryDeps = {
      store,
      budget: new InventoryBudgetTable(db, { table }),
      settings: { rate: SYNC_RATE, concurrency: SYNC_CONCURRENCY },
      clock: clock,
      logger: silentLogger,
    };
    im.server.clearLog();
    const sync = await timed(() => syncNow(createIdmelonInventory(provider), deps));
    const summary = sync.result;
    if (!summary.published) throw new Error('the IDmelon sync was not published');
    const requests = im.server.requests.length;
    const items = 3 * summary.keys + 3 * summary.people;
    const secs = sync.ms / 1000;
    rows.push(
      {
        measure: `IDmelon full sync, ${n(SYNC_KEYS)} keys + ${n(SYNC_USERS)} users at ${SYNC_RATE} req/s: wall time`,
        value: ms(sync.ms),
        goal: '',
      },
      {
        measure: 'IDmelon full sync: vendor requests, achieved rate',
        value: `${n(requests)} requests, ${(requests / secs).toFixed(1)} req/s`,
        goal: '',
      },
      {
        measure: 'IDmelon full sync: items written (overlap included), write rate',
        value: `${n(items)} items, ${n(items / secs)} items/s`,
        goal: '',
      },
    );

    // The plan a 1 M-key workspace gets, from the listing's totals alone.
    const totals = {
      listSecurityKeys: async () => ({ data: [], total: PROD_KEYS, limit: 1, skip: 0 }),
      listUsers: async () => ({ data: [], total: PROD_PEOPLE, limit: 1, skip: 0 }),
    } as unknown as IdmelonClient;
    const plan = await new IdmelonInventory(totals).planFullSync(ctx());
    plannedAt1M = plan.length;
    // Each range reads its window plus the overlap, 100 a page; the last reads to the listing's end.
    const sizeOf = (r: SyncRange) =>
      r.size ?? (r.kind === 'keys' ? PROD_KEYS : PROD_PEOPLE) - Number(r.start ?? 0);
    const pagesOf = (r: SyncRange) => Math.ceil((sizeOf(r) + 10) / 100);
    const prodRequests = 3 + plan.reduce((sum, r) => sum + pagesOf(r), 0);
    const vendorSecs = prodRequests / SYNC_RATE;
    const prodItems = 3 * PROD_KEYS + 3 * PROD_PEOPLE;
    const writeSecs = prodItems / (ASSUMED_WRITES_PER_RANGE * SYNC_CONCURRENCY);
    // A range's steps run one after another: its requests, then its writes, then the bookkeeping.
    const laneMs = (sync.ms * SYNC_CONCURRENCY) / summary.ranges;
    const rangeMs = (r: SyncRange) =>
      pagesOf(r) * LATENCY_MS + (1000 * 3 * sizeOf(r)) / ASSUMED_WRITES_PER_RANGE + ASSUMED_BOOKKEEPING_MS;
    const laneTotalMs = plan.reduce((sum, r) => sum + rangeMs(r), 0);
    const prodLaneMs = laneTotalMs / plan.length;
    const laneSecs = laneTotalMs / 1000 / SYNC_CONCURRENCY;
    rows.push(
      {
        measure: `prediction, 1 M keys + 500 k users at ${SYNC_RATE} req/s: vendor-bound`,
        value: `${n(prodRequests)} requests ≈ ${(vendorSecs / 60).toFixed(0)} min`,
        goal: '',
      },
      {
        measure: 'prediction, 1 M keys: DynamoDB-bound (assumed rate)',
        value: `${n(prodItems)} items ≈ ${(writeSecs / 60).toFixed(0)} min`,
        goal: '',
      },
      {
        measure: `prediction, 1 M keys: ${SYNC_CONCURRENCY} ranges in flight (assumed ${ms(prodLaneMs)} a range)`,
        value: `${n(plannedAt1M)} ranges ≈ ${(laneSecs / 60).toFixed(0)} min`,
        goal: '',
      },
      {
        measure: 'prediction, 1 M keys: full sync (the largest)',
        value: `≈ ${(Math.max(vendorSecs, writeSecs, laneSecs) / 60).toFixed(0)} min`,
        goal: 'reported',
      },
      {
        measure: 'ranges a 1 M-key full sync plans',
        value: n(plannedAt1M),
        goal: `≤ ${n(MAX_PLANNED_RANGES)} (the store's limit)`,
        met: plannedAt1M <= MAX_PLANNED_RANGES,
      },
    );
    notes.push(
      `Full sync: each range is one paced vendor request (a window of 90 new items and 10 already read), then its ~300 items written 25 a batch, 8 batches in flight, then the build's bookkeeping (the range marked, then counted on the build; only the last count reads every range item to confirm), one after another: ${ms(laneMs)} a range here, so ${SYNC_CONCURRENCY} ranges in flight reach ${(requests / secs).toFixed(1)} of the ${SYNC_RATE} req/s allowed. The number of ranges in flight, not the request budget, bounds it (dynalite itself stored ~${n(loadRate)} items/s while loading the inventory above).`,
      `Prediction: requests = 3 + the pages of each planned range (${n(PROD_KEYS)} keys and ${n(PROD_PEOPLE)} users; past 800 windows of 90 a listing gets larger ranges, read 100 a page, so the plan stays within the store's limit); DynamoDB on demand is assumed (not measured) to take ${n(ASSUMED_WRITES_PER_RANGE)} items/s per range in flight (8 batch writes of 25 at ~50 ms), ${SYNC_CONCURRENCY} ranges in flight, and ${ASSUMED_BOOKKEEPING_MS} ms of bookkeeping a range; the vendor answers in ${LATENCY_MS} ms. 3 items per key (idle index, owner, pointer) and per person (id, email, name). Only the range that completes the count reads the build's ${n(plannedAt1M)} range items.`,
      plannedAt1M > MAX_PLANNED_RANGES
        ? `A 1 M-key IDmelon sync plans ${n(plannedAt1M)} ranges, and the store refuses a build of more than ${n(MAX_PLANNED_RANGES)} (the BUILD item holds the plan): startBuild throws, so the full sync cannot start above ~${n(MAX_PLANNED_RANGES * 90)} keys and users together.`
        : `A 1 M-key IDmelon sync plans ${n(plannedAt1M)} ranges, within the store's ${n(MAX_PLANNED_RANGES)}.`,
    );
  } finally {
    await dynamo.close();
    await im.close();
    await transport.close();
  }

  notes.unshift(
    `Stale scan from the inventory: 8 idle-index shards queried in parallel, each a range read of the entries before the cutoff, so only the stale keys are read: ${growth(staleTimes)} from ${n(FRESH_SMALL)} to ${n(FRESH_LARGE)} fresh keys. Its time is reading and sorting those ${n(STALE_KEYS)} items (each holds the whole key, ~0.5 KB), which is what 1% of 1 M keys is; dynalite serves the 8 queries from the one Node thread the bench runs on, where DynamoDB would serve them in parallel, 1 MB a page.`,
    `Lookup from the inventory: one get by id and two prefix queries capped at 50 items on the people partition: ${growth(lookupTimes)} from ${n(PEOPLE_SMALL)} to ${n(PEOPLE_LARGE)} people.`,
  );
  return {
    title: 'Inventory: reads from it, refresh and full sync',
    setup: `in-memory dynalite, two tables side by side loaded through the store's own build (${n(STALE_KEYS)} stale IDmelon keys with ${n(FRESH_SMALL)} or ${n(FRESH_LARGE)} fresh, ${n(PEOPLE_SMALL)} or ${n(PEOPLE_LARGE)} people, ${n(TM_USERS_SMALL)} or ${n(TM_USERS_LARGE)} TryMellon users with one passkey, 1% idle; ${n(loadRate)} items/s), read in turn; embedded sandboxes at ${LATENCY_MS} ms per request; stale scans median of ${STALE_RUNS}, lookups median of ${LOOKUP_RUNS}; the goals' 1 M-key and 500 k-user sizes cannot be loaded here`,
    rows,
    notes,
  };
}
