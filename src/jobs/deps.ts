import type { AccessPolicy, Audience } from '../auth/access.js';
import type { AuditStore } from '../domain/audit.js';
import type { Clock } from '../domain/clock.js';
import type { HomeStore } from '../domain/home.js';
import type { InventoryBudget, InventorySource, InventoryStore } from '../domain/inventory.js';
import type { Logger } from '../domain/logger.js';
import type { Metrics } from '../domain/metrics.js';
import type { Policy, PolicyStore, SlackDirectory } from '../domain/policy.js';
import type { Provider } from '../domain/provider.js';
import type { InventorySettings } from '../services/inventory.js';
import type { SlackApi } from '../slack/api.js';
import type { JobLedger } from '../store/jobs.js';
import type { RequestStore } from '../store/requests.js';
import type { WorkReleaser } from '../store/work-limits.js';
import type { JobQueue } from './job.js';

/** What the worker and every job handler receive: the ports, built by the runtime (Lambda) or the local bot. */
export interface WorkerDeps {
  /** The configured vendors; on Lambda built from the secret on first use. */
  providers: () => Promise<Provider[]>;
  slack: SlackApi;
  ledger: JobLedger;
  /** The work slots the listener took; given back when a job is done. Absent where no limits are wired. */
  limits?: WorkReleaser;
  clock: Clock;
  logger: Logger;
  /** Jobs run and how they ended, revocations, policy runs and owner notices. */
  metrics: Metrics;
  /** Approve-to-revoke; absent where revocation is not wired (it always is in the app). */
  revocation?: RevocationWorkerDeps;
  /** The digest's time zone and stale threshold. @default UTC and 90 days */
  digest?: { timeZone: string; staleDays: number };
  /** A scan still running after this long gets a progress message. @default 3000 */
  progressAfterMs?: number;
  /** Budget for one scan or lookup. @default 60_000 */
  operationDeadlineMs?: number;
  /**
   * Where the worker queues its own follow-up jobs (the next slice of a long revocation). Without it, a request
   * whose slice ran out waits for the sweep of stuck requests.
   */
  queue?: JobQueue;
  /** The hygiene lifecycle; absent where no policies are wired. */
  policy?: PolicyWorkerDeps;
  /** The hash-chained audit trail; absent where it is not wired. */
  audit?: AuditStore;
  /** The App Home; absent where it is not wired. */
  home?: { store: HomeStore; access: AccessPolicy; admins: Audience };
  /** The inventory's sync and refresh; absent where it is not wired (its jobs then fail saying so). */
  inventory?: InventoryWorkerDeps;
}

/** What the worker needs to keep the inventory: its store, each vendor's budget, and how to read each vendor. */
export interface InventoryWorkerDeps {
  store: InventoryStore;
  budget: InventoryBudget;
  /** One source per configured vendor that has one; on Lambda built from the secret on first use. */
  sources: () => Promise<InventorySource[]>;
  settings: InventorySettings;
}

/** What the worker needs for policies, owner notices and exemptions. */
export interface PolicyWorkerDeps {
  policies: readonly Policy[];
  /** Why the policy file could not be used: every policy job fails with it, and none runs on half a set. */
  loadError?: string;
  store: PolicyStore;
  directory: SlackDirectory;
  /** The run's day, and the digest's, are days in this time zone. */
  timeZone: string;
  /** Where "Not mine" alerts go; the approvals channel when unset. */
  securityChannel?: string;
  /** Owners per notice job when a run is split across jobs. @default 50 */
  notifyBatch?: number;
}

/** Thrown when another worker holds the job right now; the queue should deliver it again later. */
export class JobBusyError extends Error {
  override name = 'JobBusyError';
}

/**
 * A job that should be delivered again (a revocation stopped half-way). The admin has been told what happened;
 * the queue retries, and after its retries keeps the message in the dead-letter queue.
 */
export class RetryJobError extends Error {
  override name = 'RetryJobError';
}

export type JobOutcome = 'answered' | 'failed' | 'duplicate';

/** What the worker needs for approve-to-revoke, beyond the common worker dependencies. */
export interface RevocationWorkerDeps {
  store: RequestStore;
  access: AccessPolicy;
  approvers: Audience;
  /**
   * Where requests are posted. Required: without it requests are refused, since key names, owners and last use
   * would otherwise land in whatever channel a command was typed in.
   */
  approvalsChannel?: string;
  auditChannel?: string;
  dryRun: boolean;
  ttlHours: number;
  /** One execution's time slice (see RevocationDeps.sliceMs); on Lambda kept well inside the worker's timeout. */
  sliceMs?: number;
  /** Budget of one vendor call during execution (see RevocationDeps.deadlineMs). */
  deadlineMs?: number;
}
