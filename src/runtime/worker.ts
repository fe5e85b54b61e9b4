import { SQSClient } from '@aws-sdk/client-sqs';
import type { EmfMetrics } from '../aws/emf-metrics.js';
import { sqsQueue, sqsRedelivery } from '../aws/sqs-queue.js';
import { settingsWarnings, stores, workerDeps } from '../composition/deps.js';
import { loadPolicies } from '../composition/policies.js';
import type { Policy } from '../domain/policy.js';
import type { WorkerDeps } from '../jobs/deps.js';
import { VENDORS, type VendorRegistry } from '../providers/registry.js';
import { type LambdaOptions, lambdaBase, lambdaCore } from './base.js';
import { cachedVendors } from './providers.js';

/** Shortens a failed message's visibility on the job queue; a no-op where no queue is configured. */
export function workerRedelivery(
  env: NodeJS.ProcessEnv,
): (receiptHandle: string, seconds: number) => Promise<void> {
  const url = env.KEYWARDEN_QUEUE_URL?.trim();
  return url ? sqsRedelivery(new SQSClient({}), url) : async () => undefined;
}

/**
 * The worker on Lambda: vendors, Slack, the job ledger and the revocation store; and its metrics, which the handler
 * publishes at the end of each invocation.
 */
export function workerRuntime(
  env: NodeJS.ProcessEnv,
  options: LambdaOptions & { vendors?: VendorRegistry } = {},
): WorkerDeps & { metrics: EmfMetrics } {
  const base = lambdaBase(env, options);
  const core = lambdaCore(base);
  const s = base.settings;
  for (const warning of settingsWarnings(s)) base.logger.warn(warning);
  if (!s.queueUrl) base.logger.warn('KEYWARDEN_QUEUE_URL is not set: long revocations wait for the sweep');
  let policies: Policy[] | { error: string };
  try {
    policies = loadPolicies(s, base.registry);
  } catch (err) {
    // Scans, lookups and revocations still run; every policy job fails with this sentence until the file is fixed.
    base.logger.error('the policy file was refused; no policy will run', { err });
    policies = { error: (err as Error).message };
  }
  const vendors = cachedVendors(base, options.vendors ?? VENDORS);
  const built = stores(core);
  const deps = workerDeps(core, {
    policies,
    providers: vendors.providers,
    stores: built,
    // The inventory: kept by the inventory jobs, read by stale lists and lookups while it is fresh.
    inventory: built.inventory,
    inventorySources: vendors.sources,
    // Inside the worker's 120 s timeout: a range waits at most 30 s for one of its vendor's slots and reads for at
    // most 60 s; a range that cannot start is delivered again by the queue.
    inventorySettings: { slotWaitMs: 30_000, rangeDeadlineMs: 60_000 },
    queue: s.queueUrl ? sqsQueue(new SQSClient({}), s.queueUrl) : undefined,
    // The worker's timeout is 120 s (serverless.yml): a 40 s slice plus one vendor call of at most 60 s ends
    // inside it, and inside the 300 s lease, so a run is never cut off mid-batch by Lambda.
    sliceMs: 40_000,
    deadlineMs: 60_000,
  });
  return { ...deps, metrics: base.metrics };
}
