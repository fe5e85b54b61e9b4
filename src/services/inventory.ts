import { randomBytes } from 'node:crypto';
import { type Clock, realSleep, type Sleep } from '../domain/clock.js';
import { Deadline } from '../domain/deadline.js';
import {
  type InventoryBudget,
  InventoryBuildGoneError,
  type InventorySource,
  type InventoryStore,
  type SyncRange,
} from '../domain/inventory.js';
import type { Logger } from '../domain/logger.js';
import type { OperationContext, VendorId } from '../domain/provider.js';

/**
 * The inventory's sync engine: full syncs built range by range into a new generation and published when complete,
 * and incremental refreshes from each vendor's change feed. Each step is one call here; the jobs (features/inventory)
 * spread the steps over the queue, and `syncNow` runs them in one process for the CLI.
 *
 *   inventory.sync ──plan──▶ startBuild ──▶ inventory.range × N ──completeRange──▶ (a `next`: another range job)
 *        │                                                │
 *        │ (a build nobody moved within staleAfterMs)     └─ the one that stores the last range ──publish──▶ current
 *        └──takeOverBuild──▶ its pending ranges queued again
 *
 *   inventory.refresh ──changesSince(cursor)──▶ applyChanges (cursor moved only from the one it read)
 *        └─ no generation yet ──▶ inventory.sync
 */

export interface InventorySettings {
  /** Requests per second to one vendor, all workers together (`KEYWARDEN_INVENTORY_RATE`). @default 5 */
  rate: number;
  /** Ranges of one vendor read at once (`KEYWARDEN_INVENTORY_CONCURRENCY`). @default 2 */
  concurrency: number;
  /** A build no range moved for this long is taken over by the next sync. @default 900_000 */
  staleAfterMs?: number;
  /** How long a vendor's pace stays halved after a 429. @default 60_000 */
  slowForMs?: number;
  /** Replaced generations are deleted this long after they were replaced. @default 600_000 */
  graceMs?: number;
  /** Time for reading one range, every retry included. @default 300_000 */
  rangeDeadlineMs?: number;
  /** How long a range waits for one of its vendor's slots before it is handed back to the queue. @default 120_000 */
  slotWaitMs?: number;
}

export interface InventoryDeps {
  store: InventoryStore;
  budget: InventoryBudget;
  settings: InventorySettings;
  clock: Clock;
  logger: Logger;
  /** Waits for the pace and for a free slot. @default real time */
  sleep?: Sleep;
}

/** A range could not get one of its vendor's slots in time: the queue should deliver it again later. */
export class InventoryBusyError extends Error {
  override name = 'InventoryBusyError';
}

const staleAfter = (d: InventoryDeps) => d.settings.staleAfterMs ?? 900_000;
const now = (d: InventoryDeps) => d.clock.now().toISOString();

/** Generation ids sort by when their build started; the suffix tells apart two started in the same millisecond. */
export function newGeneration(clock: Clock): string {
  return `${clock.now().toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
}

/**
 * An operation context whose every request (retries included) waits for the vendor's shared pace, and whose 429s
 * slow that pace for every worker.
 */
export function pacedContext(vendor: VendorId, deps: InventoryDeps, deadlineMs: number): OperationContext {
  const sleep = deps.sleep ?? realSleep;
  return {
    deadline: Deadline.after(deadlineMs),
    meter: {
      requests: 0,
      pace: async () => {
        const wait = await deps.budget.reserveRequest(vendor, deps.settings.rate);
        if (wait > 0) await sleep(wait);
      },
      rateLimited: (retryAfterMs) => {
        deps.logger.warn('the vendor answered 429: the inventory sync slows down', { vendor, retryAfterMs });
        deps.budget
          .slowDown(vendor, deps.settings.slowForMs ?? 60_000, retryAfterMs)
          .catch((err: unknown) => deps.logger.error('could not slow the inventory budget', { vendor, err }));
      },
    },
  };
}

export type SyncPlan =
  | {
      outcome: 'started' | 'resumed';
      vendor: VendorId;
      generation: string;
      round: number;
      ranges: SyncRange[];
    }
  /** Another sync's build is under way and moving. */
  | { outcome: 'busy'; vendor: VendorId; generation?: string }
  /** A taken-over build had every range stored already: it was published here. */
  | { outcome: 'published'; vendor: VendorId; generation: string };

/**
 * Plans a full sync of one vendor: takes over a build left by a crash (its pending ranges only), or takes the change
 * cursor, plans the ranges and starts a new build. The caller reads the returned ranges (`syncRange`).
 */
export async function planFullSync(source: InventorySource, deps: InventoryDeps): Promise<SyncPlan> {
  const vendor = source.vendor;
  const status = await deps.store.status(vendor);
  if (status.building) {
    const { generation } = status.building;
    const round = await deps.store.takeOverBuild(vendor, generation, staleAfter(deps), now(deps));
    if (round === undefined) return { outcome: 'busy', vendor, generation };
    const ranges = await deps.store.pendingRanges(vendor, generation);
    deps.logger.info('an inventory build left unfinished is taken over', {
      vendor,
      generation,
      round,
      pending: ranges.length,
    });
    if (ranges.length === 0) {
      await publish(vendor, generation, deps);
      return { outcome: 'published', vendor, generation };
    }
    return { outcome: 'resumed', vendor, generation, round, ranges };
  }
  const ctx = pacedContext(vendor, deps, deps.settings.rangeDeadlineMs ?? 300_000);
  // The cursor first: whatever changes while the ranges are read is applied again by the next refresh.
  const cursor = await source.cursorNow(ctx);
  const ranges = await source.planFullSync(ctx);
  const generation = newGeneration(deps.clock);
  const started = await deps.store.startBuild(
    vendor,
    { generation, startedAt: now(deps), cursor, ranges },
    staleAfter(deps),
  );
  if (!started) return { outcome: 'busy', vendor };
  deps.logger.info('inventory build started', { vendor, generation, ranges: ranges.length });
  return { outcome: 'started', vendor, generation, round: 0, ranges };
}

export interface RangeOutcome {
  /** The range after this one, for a listing read page by page: the caller reads it next. */
  next?: SyncRange;
  remaining: number;
  /** This range was the last one, and the generation is now the current one. */
  published: boolean;
  keys: number;
  people: number;
  requests: number;
  /** The build was published or replaced before this range came: nothing was stored. */
  gone?: boolean;
}

/**
 * Reads one range inside one of its vendor's slots and stores it; whoever stores the last range publishes. A range
 * read twice (a redelivered job) stores the same items again.
 */
export async function syncRange(
  source: InventorySource,
  generation: string,
  range: SyncRange,
  holder: string,
  deps: InventoryDeps,
): Promise<RangeOutcome> {
  const vendor = source.vendor;
  await acquireSlot(vendor, holder, deps);
  try {
    const ctx = pacedContext(vendor, deps, deps.settings.rangeDeadlineMs ?? 300_000);
    const read = await source.readRange(range, ctx);
    const confirmedAt = now(deps);
    let remaining: number;
    try {
      ({ remaining } = await deps.store.completeRange(vendor, generation, range, read, confirmedAt));
    } catch (err) {
      if (!(err instanceof InventoryBuildGoneError)) throw err;
      deps.logger.info('an inventory range arrived after its build ended; nothing stored', {
        vendor,
        generation,
        range: range.id,
      });
      return { remaining: 0, published: false, keys: 0, people: 0, requests: ctx.meter.requests, gone: true };
    }
    const published = remaining === 0 && (await publish(vendor, generation, deps));
    return {
      next: read.next,
      remaining,
      published,
      keys: read.keys.length,
      people: read.people.length,
      requests: ctx.meter.requests,
    };
  } finally {
    await deps.budget
      .releaseSlot(vendor, holder)
      .catch((err: unknown) =>
        deps.logger.warn('could not release an inventory slot; its lease will lapse', { vendor, err }),
      );
  }
}

async function acquireSlot(vendor: VendorId, holder: string, deps: InventoryDeps): Promise<void> {
  const sleep = deps.sleep ?? realSleep;
  const { concurrency } = deps.settings;
  // The lease outlasts the range's whole read; a worker that dies frees its slot when it lapses.
  const leaseMs = (deps.settings.rangeDeadlineMs ?? 300_000) + 60_000;
  const waitUntil = Date.now() + (deps.settings.slotWaitMs ?? 120_000);
  for (let attempt = 0; ; attempt++) {
    if (await deps.budget.acquireSlot(vendor, holder, concurrency, leaseMs)) return;
    if (Date.now() >= waitUntil)
      throw new InventoryBusyError(`${vendor}: all ${concurrency} inventory slots stayed busy`);
    await sleep(Math.min(1000, 25 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2));
  }
}

async function publish(vendor: VendorId, generation: string, deps: InventoryDeps): Promise<boolean> {
  const published = await deps.store.publish(vendor, generation, now(deps));
  if (published) {
    const status = await deps.store.status(vendor);
    deps.logger.info('inventory generation published', {
      vendor,
      generation,
      keys: status.current?.keys,
      people: status.current?.people,
    });
  }
  return published;
}

export type RefreshOutcome =
  | {
      outcome: 'applied';
      vendor: VendorId;
      keys: number;
      removedKeys: number;
      people: number;
      removed: number;
    }
  /** Another refresh moved the cursor first; this one's changes were applied again, harmlessly. */
  | { outcome: 'raced'; vendor: VendorId }
  /** No generation is current yet (or it has no cursor): a full sync is needed first. */
  | { outcome: 'needs-sync'; vendor: VendorId };

/** Applies what changed at the vendor since the current generation's cursor, and removes replaced generations. */
export async function refreshInventory(
  source: InventorySource,
  deps: InventoryDeps,
): Promise<RefreshOutcome> {
  const vendor = source.vendor;
  const { current } = await deps.store.status(vendor);
  if (!current || current.cursor === undefined) return { outcome: 'needs-sync', vendor };
  const ctx = pacedContext(vendor, deps, deps.settings.rangeDeadlineMs ?? 300_000);
  const changes = await source.changesSince(current.cursor, ctx);
  const applied = await deps.store.applyChanges(vendor, changes, current.cursor, now(deps));
  const removed = await deps.store.removeOldGenerations(vendor, now(deps), deps.settings.graceMs ?? 600_000);
  if (!applied) return { outcome: 'raced', vendor };
  return {
    outcome: 'applied',
    vendor,
    keys: changes.keys.length,
    removedKeys: changes.removedKeys.length,
    people: changes.people.length,
    removed,
  };
}

export interface SyncSummary {
  vendor: VendorId;
  outcome: SyncPlan['outcome'];
  generation?: string;
  ranges: number;
  /**
   * Keys and people the published generation holds; when it is not published, those the ranges read here (a key
   * read by two overlapping ranges counted twice).
   */
  keys: number;
  people: number;
  requests: number;
  published: boolean;
  ms: number;
}

/**
 * A whole full sync of one vendor in this process (the CLI's `inventory sync`): the same steps as the jobs, the
 * vendor's ranges read `concurrency` at a time.
 */
export async function syncNow(source: InventorySource, deps: InventoryDeps): Promise<SyncSummary> {
  const started = Date.now();
  const plan = await planFullSync(source, deps);
  const summary: SyncSummary = {
    vendor: source.vendor,
    outcome: plan.outcome,
    generation: plan.generation,
    ranges: 0,
    keys: 0,
    people: 0,
    requests: 0,
    published: plan.outcome === 'published',
    ms: 0,
  };
  if (plan.outcome === 'started' || plan.outcome === 'resumed') {
    const holder = `cli-${randomBytes(4).toString('hex')}`;
    const todo = [...plan.ranges];
    const running = new Set<Promise<void>>();
    let failure: unknown;
    const start = (range: SyncRange, n: number) => {
      const run = syncRange(source, plan.generation, range, `${holder}-${n}`, deps)
        .then((r) => {
          summary.ranges++;
          summary.keys += r.keys;
          summary.people += r.people;
          summary.requests += r.requests;
          summary.published ||= r.published;
          if (r.next) todo.push(r.next);
        })
        .catch((err: unknown) => {
          failure ??= err;
        })
        .finally(() => running.delete(run));
      running.add(run);
    };
    let n = 0;
    while ((todo.length > 0 || running.size > 0) && failure === undefined) {
      while (todo.length > 0 && running.size < deps.settings.concurrency)
        start(todo.shift() as SyncRange, n++);
      await Promise.race(running);
    }
    await Promise.all(running);
    if (failure !== undefined) throw failure;
  }
  if (summary.published) {
    // Ranges may overlap (IDmelon's do): the generation, not the sum of the reads, says how much was synced.
    const { current } = await deps.store.status(source.vendor);
    if (current && current.generation === summary.generation) {
      summary.keys = current.keys;
      summary.people = current.people;
    }
  }
  summary.ms = Date.now() - started;
  return summary;
}
