import { createHash, randomBytes } from 'node:crypto';
import type { InventorySource, SyncRange } from '../../domain/inventory.js';
import { type InventoryWorkerDeps, RetryJobError, type WorkerDeps } from '../../jobs/deps.js';
import type { Job, JobQueue } from '../../jobs/job.js';
import {
  InventoryBusyError,
  type InventoryDeps,
  planFullSync,
  refreshInventory,
  syncRange,
} from '../../services/inventory.js';

type SyncJob = Job & { kind: 'inventory.sync' };
type RangeJob = Job & { kind: 'inventory.range' };
type RefreshJob = Job & { kind: 'inventory.refresh' };

const hashId = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

function inventoryWorker(deps: WorkerDeps): InventoryWorkerDeps {
  if (!deps.inventory) throw new Error('the inventory is not wired into this worker');
  return deps.inventory;
}

/** The engine's dependencies from the worker's. */
export function inventoryDeps(deps: WorkerDeps): InventoryDeps {
  const inv = inventoryWorker(deps);
  return {
    store: inv.store,
    budget: inv.budget,
    settings: inv.settings,
    clock: deps.clock,
    logger: deps.logger,
  };
}

async function sourcesFor(deps: WorkerDeps, vendor: string | undefined): Promise<InventorySource[]> {
  const all = await inventoryWorker(deps).sources();
  return vendor ? all.filter((s) => s.vendor === vendor) : all;
}

/**
 * One range job per range, its id from the build, its round and the range: a redelivered job is the same job (the
 * ledger runs it once), while a takeover's round makes the ranges it queues again new jobs.
 */
export function rangeJob(vendor: string, generation: string, round: number, range: SyncRange) {
  return {
    kind: 'inventory.range' as const,
    id: hashId(`inventory.range#${vendor}#${generation}#${round}#${range.id}`),
    vendor,
    generation,
    round,
    range,
  };
}

function queueOf(deps: WorkerDeps): JobQueue {
  if (!deps.queue) throw new Error('the inventory sync needs the job queue to spread its ranges');
  return deps.queue;
}

/** `inventory.sync`: plans each vendor's full sync (or takes over one left unfinished) and queues its ranges. */
export async function runInventorySync(job: SyncJob, deps: WorkerDeps): Promise<void> {
  const engine = inventoryDeps(deps);
  const queue = queueOf(deps);
  const failures: unknown[] = [];
  for (const source of await sourcesFor(deps, job.vendor)) {
    try {
      const plan = await planFullSync(source, engine);
      deps.logger.info('inventory sync planned', {
        vendor: source.vendor,
        outcome: plan.outcome,
        generation: plan.generation,
        ranges: 'ranges' in plan ? plan.ranges.length : 0,
      });
      if (plan.outcome !== 'started' && plan.outcome !== 'resumed') continue;
      for (const range of plan.ranges)
        await queue.enqueue(rangeJob(source.vendor, plan.generation, plan.round, range));
    } catch (err) {
      // One vendor's failure does not keep the others from syncing; the job is retried for it (the others find
      // their builds under way and leave them be).
      deps.logger.error('could not plan the inventory sync', { vendor: source.vendor, err });
      failures.push(err);
    }
  }
  if (failures.length > 0) throw failures[0];
}

/** `inventory.range`: reads one range and stores it; queues the range after it, or publishes when it was the last. */
export async function runInventoryRange(job: RangeJob, deps: WorkerDeps): Promise<void> {
  const [source] = await sourcesFor(deps, job.vendor);
  if (!source) throw new Error(`no inventory source for ${job.vendor}`);
  try {
    const outcome = await syncRange(source, job.generation, job.range, job.id, inventoryDeps(deps));
    if (outcome.next)
      await queueOf(deps).enqueue(rangeJob(job.vendor, job.generation, job.round, outcome.next));
    if (outcome.published)
      deps.logger.info('inventory sync complete', { vendor: job.vendor, generation: job.generation });
  } catch (err) {
    if (err instanceof InventoryBusyError) throw new RetryJobError(err.message, { cause: err });
    throw err;
  }
}

/** `inventory.refresh`: applies each vendor's changes; a vendor with no generation yet gets a full sync queued. */
export async function runInventoryRefresh(job: RefreshJob, deps: WorkerDeps): Promise<void> {
  const engine = inventoryDeps(deps);
  const failures: unknown[] = [];
  for (const source of await sourcesFor(deps, job.vendor)) {
    try {
      const outcome = await refreshInventory(source, engine);
      deps.logger.info('inventory refreshed', { ...outcome });
      if (outcome.outcome === 'needs-sync')
        await queueOf(deps).enqueue(syncJob(deps.clock.now(), source.vendor));
    } catch (err) {
      deps.logger.error('could not refresh the inventory', { vendor: source.vendor, err });
      failures.push(err);
    }
  }
  if (failures.length > 0) throw failures[0];
}

/**
 * A sync job for the hour (or a refresh job for the quarter hour): triggers that fire twice in one window queue one
 * job, which the ledger runs once; the next window's job is a new one, so a lost sync is retried an hour later. A
 * sync someone asks for by hand (`once`) is a job of its own.
 */
export function syncJob(at: Date, vendor?: string, once?: 'once') {
  const window = once ? randomBytes(8).toString('hex') : at.toISOString().slice(0, 13);
  return { kind: 'inventory.sync' as const, id: hashId(`inventory.sync#${vendor ?? '*'}#${window}`), vendor };
}

export function refreshJob(at: Date, vendor?: string, once?: 'once') {
  const window = once ? randomBytes(8).toString('hex') : String(Math.floor(at.getTime() / 900_000));
  return {
    kind: 'inventory.refresh' as const,
    id: hashId(`inventory.refresh#${vendor ?? '*'}#${window}`),
    vendor,
  };
}
