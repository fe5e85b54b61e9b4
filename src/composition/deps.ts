import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AccessPolicy } from '../auth/access.js';
import type { Settings } from '../config/settings.js';
import type { AuditStore } from '../domain/audit.js';
import type { Clock } from '../domain/clock.js';
import type { InventorySource, InventoryStore } from '../domain/inventory.js';
import type { Metrics } from '../domain/metrics.js';
import type { Policy } from '../domain/policy.js';
import type { Provider } from '../domain/provider.js';
import type { VendorCatalog } from '../domain/vendors.js';
import type { ScheduledDigestDeps } from '../features/digest/scheduled.js';
import { SharedReads } from '../features/home/data.js';
import type { SweepDeps } from '../features/revocation/sweep.js';
import type { WorkerDeps } from '../jobs/deps.js';
import { correlating, type JobQueue } from '../jobs/job.js';
import type { ListenerDeps } from '../listeners/deps.js';
import { jsonLogger, type Logger, type SecretRedactor } from '../log.js';
import type { InventorySettings } from '../services/inventory.js';
import type { SlackApi } from '../slack/api.js';
import { AuditTrailStore } from '../store/audit.js';
import { CachedSlackDirectory } from '../store/directory.js';
import { HomeStateStore } from '../store/home.js';
import { InventoryBudgetTable, InventoryTable } from '../store/inventory.js';
import { JobLedger } from '../store/jobs.js';
import { PolicyStateStore } from '../store/policy.js';
import { RequestStore } from '../store/requests.js';
import { WorkLimits } from '../store/work-limits.js';
import { withInventory } from './providers.js';

/**
 * The one composition root: how the Slack listeners, the worker, the digest and the sweep are assembled from
 * settings and adapters. The three Lambda functions (src/runtime), `npm start` (src/local/bot.ts) and the CLI
 * differ only in the adapters they pass (DynamoDB or dynalite, SQS or the in-process queue, the real vendors or a
 * sandbox); every setting reaches the same place in all of them.
 */

/** The logger every entry point uses: JSON lines on stderr at `KEYWARDEN_LOG_LEVEL`, through the redactor. */
export function appLogger(
  settings: Settings,
  redactor: SecretRedactor,
  base: Record<string, unknown>,
): Logger {
  return jsonLogger({ level: settings.logLevel, redactor, base });
}

export interface Core {
  settings: Settings;
  db: DynamoDBDocumentClient;
  slack: SlackApi;
  clock: Clock;
  logger: Logger;
  /** What the bot counts and times; `noMetrics` where nothing collects them. */
  metrics: Metrics;
  redactor?: SecretRedactor;
  vendors: VendorCatalog;
}

/** The stores on the bot's table. `limitsDb` may be a client with tighter timeouts (the Slack function's). */
export function stores(core: Core, limitsDb: DynamoDBDocumentClient = core.db) {
  const { settings: s, clock } = core;
  return {
    ledger: new JobLedger(core.db, { table: s.table, clock }),
    limits: new WorkLimits(limitsDb, { table: s.table, perUser: s.maxJobsPerUser, total: s.maxJobs, clock }),
    requests: new RequestStore(core.db, {
      table: s.table,
      retainDays: s.retentionDays,
      clock,
      redactor: core.redactor,
    }),
    policy: new PolicyStateStore(core.db, { table: s.table, retainDays: s.retentionDays, clock }),
    directory: new CachedSlackDirectory(core.db, core.slack, { table: s.table, clock, logger: core.logger }),
    home: new HomeStateStore(core.db, { table: s.table, clock }),
    audit: new AuditTrailStore(core.db, s.table),
    inventory: new InventoryTable(core.db, { table: s.table }),
    inventoryBudget: new InventoryBudgetTable(core.db, { table: s.table }),
  };
}

export type Stores = ReturnType<typeof stores>;

export function listenerDeps(
  core: Core,
  parts: {
    queue: JobQueue;
    limits: WorkLimits;
    access?: AccessPolicy;
    /** The stores the App Home reads; without them the Home is not published. */
    home?: Pick<Stores, 'home' | 'requests' | 'policy'>;
    policies?: readonly Policy[] | { error: string };
    /** Where refusals are recorded. */
    audit?: AuditStore;
  },
): ListenerDeps {
  const s = core.settings;
  return {
    audit: parts.audit,
    home: parts.home
      ? {
          store: parts.home.home,
          requests: parts.home.requests,
          policy: parts.home.policy,
          policies: Array.isArray(parts.policies) ? parts.policies : [],
          shared: new SharedReads(() => core.clock.now().getTime()),
        }
      : undefined,
    access: parts.access ?? new AccessPolicy(core.slack, core.logger),
    admins: { users: s.admins, group: s.adminGroup },
    approvers: { users: s.approvers, group: s.approverGroup },
    queue: correlating(parts.queue),
    limits: parts.limits,
    slack: core.slack,
    logger: core.logger,
    metrics: core.metrics,
    clock: core.clock,
    vendors: core.vendors,
  };
}

export interface WorkerParts {
  providers: () => Promise<Provider[]>;
  stores: Stores;
  queue?: JobQueue;
  access?: AccessPolicy;
  /** A scan still running after this long gets a progress message. */
  progressAfterMs?: number;
  /** One revocation time slice, and one vendor call inside it (Lambda keeps both inside the worker's timeout). */
  sliceMs?: number;
  deadlineMs?: number;
  /** The policy set, validated at start-up; or why it could not be loaded (policy jobs then fail saying so). */
  policies?: readonly Policy[] | { error: string };
  /** Owners per notice job. @default 50 */
  notifyBatch?: number;
  /**
   * The inventory: stale lists and lookups read it while it is fresh enough (KEYWARDEN_INVENTORY_MAX_AGE); without
   * it every read asks the vendors.
   */
  inventory?: InventoryStore;
  /** How each vendor is read into the inventory; without it the inventory is not wired. */
  inventorySources?: () => Promise<InventorySource[]>;
  /** The inventory's timings, where the defaults do not fit (a Lambda function's timeout, tests). */
  inventorySettings?: Partial<InventorySettings>;
}

/**
 * The vendors as the worker and the digest read them: through the inventory when there is one. Wrapped once per
 * list the vendors' builder hands out, so a warm Lambda container keeps one set.
 */
function readThroughInventory(
  core: Core,
  parts: { providers: () => Promise<Provider[]>; inventory?: InventoryStore },
): () => Promise<Provider[]> {
  const inventory = parts.inventory;
  if (!inventory) return parts.providers;
  let last: { built: Provider[]; read: Provider[] } | undefined;
  return async () => {
    const built = await parts.providers();
    if (last?.built !== built)
      last = {
        built,
        read: withInventory(built, {
          inventory,
          maxAgeMs: core.settings.inventoryMaxAgeMs,
          clock: core.clock,
          logger: core.logger,
        }),
      };
    return last.read;
  };
}

export function workerDeps(core: Core, parts: WorkerParts): WorkerDeps {
  const s = core.settings;
  return {
    providers: readThroughInventory(core, parts),
    slack: core.slack,
    ledger: parts.stores.ledger,
    limits: parts.stores.limits,
    clock: core.clock,
    logger: core.logger,
    metrics: core.metrics,
    progressAfterMs: parts.progressAfterMs,
    queue: parts.queue ? correlating(parts.queue) : undefined,
    digest: { timeZone: s.timeZone, staleDays: s.staleDays },
    revocation: {
      store: parts.stores.requests,
      access: parts.access ?? new AccessPolicy(core.slack, core.logger),
      approvers: { users: s.approvers, group: s.approverGroup },
      approvalsChannel: s.approvalsChannel,
      auditChannel: s.auditChannel,
      dryRun: s.dryRun,
      ttlHours: s.requestTtlHours,
      sliceMs: parts.sliceMs,
      deadlineMs: parts.deadlineMs,
    },
    audit: parts.stores.audit,
    home: {
      store: parts.stores.home,
      access: parts.access ?? new AccessPolicy(core.slack, core.logger),
      admins: { users: s.admins, group: s.adminGroup },
    },
    inventory: parts.inventorySources
      ? {
          store: parts.stores.inventory,
          budget: parts.stores.inventoryBudget,
          sources: parts.inventorySources,
          settings: {
            rate: s.inventoryRate,
            concurrency: s.inventoryConcurrency,
            ...parts.inventorySettings,
          },
        }
      : undefined,
    policy: parts.policies
      ? {
          policies: Array.isArray(parts.policies) ? parts.policies : [],
          loadError: Array.isArray(parts.policies) ? undefined : (parts.policies as { error: string }).error,
          store: parts.stores.policy,
          directory: parts.stores.directory,
          timeZone: s.timeZone,
          securityChannel: s.securityChannel,
          notifyBatch: parts.notifyBatch,
        }
      : undefined,
  };
}

export function digestDeps(
  core: Core,
  parts: {
    providers: () => Promise<Provider[]>;
    ledger: JobLedger;
    policy?: PolicyStateStore;
    /** The inventory the stale counts are read from while it is fresh. */
    inventory?: InventoryStore;
  },
): ScheduledDigestDeps {
  const s = core.settings;
  return {
    providers: readThroughInventory(core, parts),
    slack: core.slack,
    ledger: parts.ledger,
    clock: core.clock,
    logger: core.logger,
    metrics: core.metrics,
    channel: s.digestChannel,
    timeZone: s.timeZone,
    staleDays: s.staleDays,
    exemptions: parts.policy ? () => (parts.policy as PolicyStateStore).exemptions() : undefined,
  };
}

export function sweepDeps(
  core: Pick<Core, 'clock' | 'logger'>,
  parts: { store: RequestStore; queue: JobQueue },
): SweepDeps {
  return { store: parts.store, queue: parts.queue, clock: core.clock, logger: core.logger };
}

/**
 * Settings that leave part of Keywarden unusable, said plainly: printed at `npm start`, logged as warnings on
 * Lambda.
 */
export function settingsWarnings(s: Settings): string[] {
  const out: string[] = [];
  if (s.admins.length === 0 && !s.adminGroup)
    out.push('KEYWARDEN_ADMINS and KEYWARDEN_ADMIN_GROUP are empty: every command will be politely refused.');
  if (!s.approvalsChannel)
    out.push(
      'KEYWARDEN_APPROVALS_CHANNEL is not set: revocation requests are refused until it is (they would show key names and owners wherever a command was typed).',
    );
  if (s.approvers.length === 0 && !s.approverGroup)
    out.push(
      'KEYWARDEN_APPROVERS and KEYWARDEN_APPROVER_GROUP are empty: revocations can be requested but nobody can approve them.',
    );
  if (s.dryRun)
    out.push('KEYWARDEN_DRY_RUN is on: approved revocations do everything except the DELETE calls.');
  return out;
}
