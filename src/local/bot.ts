import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import type { App } from '@slack/bolt';
import type { IdmelonSandbox, IdmelonSandboxOptions } from '../../sandbox/idmelon/index.js';
import { createApp } from '../app.js';
import { AccessPolicy } from '../auth/access.js';
import { loadLocalConfig } from '../composition/config.js';
import {
  appLogger,
  type Core,
  listenerDeps,
  settingsWarnings,
  stores,
  sweepDeps,
  workerDeps,
} from '../composition/deps.js';
import { loadPolicies } from '../composition/policies.js';
import type { Settings } from '../config/settings.js';
import { type Clock, systemClock } from '../domain/clock.js';
import type { InventorySource, InventoryStore } from '../domain/inventory.js';
import { type Metrics, noMetrics } from '../domain/metrics.js';
import type { Policy } from '../domain/policy.js';
import type { VendorId } from '../domain/provider.js';
import { inventoryDeps, refreshJob, syncJob } from '../features/inventory/jobs.js';
import { runPolicies } from '../features/policy/jobs.js';
import { schedulePolicyRun } from '../features/policy/schedule.js';
import { runSweep } from '../features/revocation/sweep.js';
import { type Transport, undiciTransport } from '../http/transport.js';
import { runJob } from '../jobs/worker.js';
import { type Logger, type Redactor, SecretRedactor } from '../log.js';
import { VENDORS, type VendorRegistry } from '../providers/registry.js';
import { archiveAudit } from '../services/audit.js';
import { type InventorySettings, type SyncSummary, syncNow } from '../services/inventory.js';
import type { PolicyRunResult } from '../services/policy.js';
import type { SlackApi } from '../slack/api.js';
import { KeywardenReceiver, type RawRequest } from '../slack/receiver.js';
import { webApiSlack } from '../slack/web-api.js';
import type { JobLedger } from '../store/jobs.js';
import { LocalQueueStore } from '../store/local-queue.js';
import type { PolicyStateStore } from '../store/policy.js';
import type { RequestStore } from '../store/requests.js';
import { conditionFailed, documentClient } from '../store/table.js';
import type { WorkLimits } from '../store/work-limits.js';
import { type LocalArchive, localArchiveDir, startLocalArchive } from './archive.js';
import { startLocalDynamo } from './dynamo.js';
import { InlineQueue } from './inline-queue.js';
import type { SandboxHandles, SandboxOptions } from './sandboxes.js';
import { startLocalVendors } from './vendors.js';

/** Largest request body accepted; Slack's payloads are a few kilobytes. */
const MAX_BODY_BYTES = 1_000_000;

export interface LocalBotOptions {
  env: NodeJS.ProcessEnv;
  /** @default PORT or 3000; 0 picks a free port */
  port?: number;
  /**
   * Where dynalite keeps its data, queued jobs included; null keeps it in memory (tests).
   * @default .keywarden/dynamodb
   */
  dataDir?: string | null;
  clock?: Clock;
  transport?: Transport;
  logger?: Logger;
  /** What the bot counts and times (tests record them). @default nothing is collected */
  metrics?: Metrics;
  /** The IDmelon sandbox's seed (most tests size only that one). */
  sandbox?: IdmelonSandboxOptions;
  /** Every sandbox's seed, by vendor. */
  sandboxOptions?: SandboxOptions;
  /** The vendors (tests add one). @default the registry */
  registry?: VendorRegistry;
  /** Only these vendors (tests that reason about one vendor). @default all three */
  vendors?: readonly VendorId[];
  /** Overrides the Slack Web API port (tests inject faults through it). */
  slack?: SlackApi;
  /** Scans still running after this long get a progress message. @default 3000 */
  progressAfterMs?: number;
  /** The inventory stale lists and lookups read while it is fresh enough. @default none: they ask the vendors */
  inventory?: InventoryStore;
  /** How often stuck revocations are looked for; 0 turns the sweep off (tests that drive it). @default 60_000 */
  sweepEveryMs?: number;
  /**
   * Where the audit archive's embedded S3 server keeps its objects; null keeps them in a temporary directory removed
   * at close. @default beside the data (`localArchiveDir`): .keywarden/archive
   */
  archiveDir?: string | null;
  /** How often new audit events are archived; 0 turns it off (tests that drive it). @default 60_000 */
  archiveEveryMs?: number;
  /** The policy set (tests); by default read from KEYWARDEN_POLICIES_FILE and validated. */
  policies?: Policy[];
  /** Owners per notice job when a run goes through the queue (tests make it small). @default 50 */
  policyNotifyBatch?: number;
  /** How often the bot checks whether today's policy run is due; 0 turns the schedule off. @default 3 600 000 */
  policyCheckEveryMs?: number;
  /** Origins besides Slack's whose response_urls the bot may post to (`keywarden slack`'s own hook). */
  trustedResponseOrigins?: readonly string[];
  /**
   * Keeps the inventory of the served vendors (their own sources) in the bot's table, and reads stale lists and
   * lookups from it while it is fresh (`npm start`). @default false: everything is read live (tests)
   */
  keepInventory?: boolean;
  /** How each vendor is read into the inventory, instead of the vendors' own sources. */
  inventorySources?: () => Promise<InventorySource[]>;
  /**
   * How often the inventory is refreshed from the vendors' change feeds (a full sync is queued at start); 0 turns
   * both off (tests that drive them). @default 900_000
   */
  inventoryRefreshEveryMs?: number;
  /** The sync engine's tuning beyond the settings (tests shorten leases and waits). */
  inventorySettings?: Partial<InventorySettings>;
}

export interface LocalBot {
  url: string;
  /** Present when no SLACK_SIGNING_SECRET was set: generated for this run. */
  generatedSigningSecret?: string;
  signingSecret: string;
  settings: Settings;
  notes: string[];
  /** The embedded IDmelon sandbox, when IDmelon is not configured (tests read and change its data). */
  sandbox?: IdmelonSandbox;
  sandboxes: SandboxHandles;
  queue: InlineQueue;
  /** The job ledger and the work slots, on the bot's DynamoDB (tests look at what was queued and held). */
  ledger: JobLedger;
  limits: WorkLimits;
  /** The unix socket of the embedded DynamoDB (owner-only; there is no TCP port for the store). */
  storeSocket: string;
  receiver: KeywardenReceiver;
  /** Knows every secret this bot holds; its Slack port, store and logger redact with it. */
  redactor: Redactor;
  /** The revocation requests in the bot's DynamoDB (tests read what was stored). */
  requests: RequestStore;
  app: App;
  /** The lifecycle's state (tests read cycles, notices and exemptions). */
  policyStore: PolicyStateStore;
  policies: readonly Policy[];
  /** Queues today's run as the daily schedule does (the worker runs it, its notices in jobs). */
  schedulePolicies(): Promise<{ jobId: string; day: string }>;
  /** Runs the policies now, in this call, notices included (or only plans them, with dryRun). */
  runPolicies(options?: { policy?: string; dryRun?: boolean }): Promise<PolicyRunResult[]>;
  /** Looks for stuck revocations now and queues their resumption (what the timer does every minute). */
  sweep(): Promise<{ queued: string[] }>;
  /** The audit archive (tests read it). */
  archive: LocalArchive;
  /** Archives the audit events the archive does not hold yet (what the timer does every minute); how many. */
  archiveAudit(): Promise<number>;
  /** The inventory (tests and the CLI read it); its jobs run on the bot's queue. */
  inventory: {
    store: InventoryStore;
    /** Queues a full sync (every vendor, or one) now, as its own job. */
    queueSync(vendor?: string): Promise<void>;
    /** Queues a refresh now, as its own job (the timer's are one per quarter hour). */
    queueRefresh(vendor?: string): Promise<void>;
    /** Runs a full sync of each vendor in this call, not through the queue (`keywarden inventory sync`). */
    syncNow(vendor?: string): Promise<SyncSummary[]>;
    /** The served vendors' own sources (whether or not this bot keeps the inventory). */
    vendorSources: InventorySource[];
  };
  close(): Promise<void>;
}

/**
 * Keywarden whole on one machine: the Slack endpoint on `POST /slack/events`, the worker in-process, DynamoDB on
 * embedded dynalite, and each vendor either real (settings present) or its embedded sandbox. With SLACK_APP_TOKEN
 * set it connects to Slack over Socket Mode instead (no public URL needed).
 */
export async function startLocalBot(options: LocalBotOptions): Promise<LocalBot> {
  const { env } = options;
  const registry = options.registry ?? VENDORS;
  const config = loadLocalConfig(env, registry);
  const { settings } = config;
  // Validated whole before anything starts: a bad policy file stops `npm start` with every problem named.
  const policies = options.policies ?? loadPolicies(settings, registry);
  const redactor = new SecretRedactor();
  const logger = options.logger ?? appLogger(settings, redactor, { app: 'keywarden' });
  const generatedSigningSecret = env.SLACK_SIGNING_SECRET?.trim()
    ? undefined
    : randomBytes(16).toString('hex');
  const signingSecret = env.SLACK_SIGNING_SECRET?.trim() || (generatedSigningSecret as string);
  const botToken = env.SLACK_BOT_TOKEN?.trim() || undefined;
  redactor.add(signingSecret, botToken, env.SLACK_APP_TOKEN, ...config.vendors.secrets);
  const clock = options.clock ?? systemClock;
  const metrics = options.metrics ?? noMetrics;
  const ownTransport = options.transport ? undefined : undiciTransport();
  const transport = options.transport ?? (ownTransport as Transport);
  // Closed in the reverse order of opening: the Slack endpoint first, then the queue (its running jobs still
  // need the store and the vendors), the store last.
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    let failure: unknown;
    for (const close of closers.splice(0).reverse()) {
      await close().catch((err: unknown) => {
        failure ??= err;
      });
    }
    if (failure !== undefined) throw failure;
  };
  if (ownTransport) closers.push(() => ownTransport.close());

  try {
    const vendors = await startLocalVendors(config.vendors, {
      transport,
      logger,
      metrics,
      redactor,
      requestTimeoutMs: settings.httpTimeoutMs,
      now: clock.now(),
      requireReal: settings.requireReal,
      only: options.vendors,
      sandboxOptions: { ...options.sandboxOptions, ...(options.sandbox ? { idmelon: options.sandbox } : {}) },
    });
    closers.push(() => vendors.close());
    const dataDir =
      options.dataDir === undefined ? join(process.cwd(), '.keywarden', 'dynamodb') : options.dataDir;
    const dynamo = await startLocalDynamo({ table: settings.table, path: dataDir ?? undefined });
    closers.push(() => dynamo.close());

    const slack =
      options.slack ??
      webApiSlack({
        token: async () => botToken,
        slackApiUrl: env.SLACK_API_URL,
        logger,
        redactor,
        trustedResponseOrigins: options.trustedResponseOrigins,
      });
    const core: Core = {
      settings,
      db: documentClient(dynamo.client),
      slack,
      clock,
      logger,
      metrics,
      redactor,
      vendors: registry,
    };
    const built = stores(core);
    const { ledger, limits, requests } = built;
    const db = core.db;
    const queue = new InlineQueue({
      store: new LocalQueueStore(db, settings.table),
      logger,
      redact: (text) => redactor.redact(text),
      // A stored job's claim in the ledger was held by a process that died; give it back so the job runs now,
      // not when the lease lapses. Nothing to give back when the job never claimed or already finished.
      recover: (jobId) =>
        ledger.release(jobId).catch((err: unknown) => {
          if (!conditionFailed(err)) throw err;
        }),
    });
    closers.push(() => queue.close());
    const access = new AccessPolicy(slack, logger);
    const worker = workerDeps(core, {
      providers: async () => vendors.providers,
      stores: built,
      queue,
      access,
      progressAfterMs: options.progressAfterMs,
      inventory: options.inventory ?? (options.keepInventory ? built.inventory : undefined),
      policies,
      notifyBatch: options.policyNotifyBatch,
      inventorySources:
        options.inventorySources ??
        (options.keepInventory ? async () => vendors.inventorySources : undefined),
      inventorySettings: options.inventorySettings,
    });
    const stored = await queue.start((job) => runJob(job, worker));
    // The sweep of stuck revocations: once at start-up (a run this process's predecessor left half-done is
    // resumed as soon as its lease lapses) and then every minute.
    const sweepOnce = () => runSweep(sweepDeps(core, { store: requests, queue }));
    const sweep = () =>
      sweepOnce().catch((err: unknown) => logger.error('the sweep of stuck revocations failed', { err }));
    let sweeping: Promise<unknown> = Promise.resolve();
    const sweepEveryMs = options.sweepEveryMs ?? 60_000;
    if (sweepEveryMs > 0) {
      const sweepTimer = setInterval(() => {
        sweeping = sweep();
      }, sweepEveryMs);
      sweepTimer.unref();
      // Registered after the queue, so closed before it: no sweep queues into a closing queue.
      closers.push(async () => {
        clearInterval(sweepTimer);
        await sweeping;
      });
      sweeping = sweep();
    }
    // The audit archive: what the table's stream does on AWS, on a timer here (and once at start-up).
    const archiveDir =
      options.archiveDir !== undefined ? options.archiveDir : localArchiveDir(options.dataDir);
    const archive = await startLocalArchive(archiveDir ? { directory: archiveDir } : {});
    closers.push(() => archive.close());
    const archiveNow = () =>
      archiveAudit({ store: built.audit, archive: archive.archive, retentionDays: settings.retentionDays });
    const archiveEveryMs = options.archiveEveryMs ?? 60_000;
    if (archiveEveryMs > 0) {
      let archiving: Promise<unknown> = Promise.resolve();
      const archiveQuietly = () =>
        archiveNow().catch((err: unknown) => logger.error('could not archive the audit trail', { err }));
      const archiveTimer = setInterval(() => {
        archiving = archiveQuietly();
      }, archiveEveryMs);
      archiveTimer.unref();
      closers.push(async () => {
        clearInterval(archiveTimer);
        await archiving;
      });
      archiving = archiveQuietly();
    }
    // The policies' daily run, in-process: checked every hour from an hour after start, queued once per day (the day
    // is the job's id, so the ledger runs it once however often it is queued). `keywarden policy run` runs it now.
    const policyEvery = options.policyCheckEveryMs ?? 3_600_000;
    if (policyEvery > 0 && policies.length > 0) {
      const queueToday = () =>
        schedulePolicyRun({ queue, clock, timeZone: settings.timeZone, logger }).catch((err: unknown) =>
          logger.error('could not queue the policy run', { err }),
        );
      const policyTimer = setInterval(queueToday, policyEvery);
      policyTimer.unref();
      closers.push(async () => clearInterval(policyTimer));
    }
    // The inventory: a full sync queued at start, then a refresh every 15 minutes, both run by the worker as on AWS.
    const inventoryEvery = options.inventoryRefreshEveryMs ?? 900_000;
    const queueInventory = (job: ReturnType<typeof syncJob> | ReturnType<typeof refreshJob>) =>
      queue.enqueue(job).catch((err: unknown) => logger.error('could not queue the inventory job', { err }));
    if (worker.inventory && inventoryEvery > 0) {
      await queueInventory(syncJob(clock.now()));
      const inventoryTimer = setInterval(() => void queueInventory(refreshJob(clock.now())), inventoryEvery);
      inventoryTimer.unref();
      closers.push(async () => clearInterval(inventoryTimer));
    }
    const deps = listenerDeps(core, { queue, limits, access, home: built, policies, audit: built.audit });
    const receiver = new KeywardenReceiver({ signingSecret: async () => signingSecret, logger });
    const appToken = env.SLACK_APP_TOKEN?.trim();
    const app = createApp({
      deps,
      receiver: appToken ? undefined : receiver,
      socketMode: appToken ? { appToken } : undefined,
      botToken: async () => botToken,
      slackApiUrl: env.SLACK_API_URL,
    });

    const notes = [...vendors.notes, ...settingsWarnings(settings)];
    if (policies.length > 0)
      notes.push(
        `Policies: ${policies.map((p) => `${p.name} (${p.then === 'report' ? 'reports' : 'requests revocation'})`).join(', ')} from ${settings.policiesFile}; run daily, or now with npx keywarden policy run [--dry-run].`,
      );
    if (worker.inventory && inventoryEvery > 0)
      notes.push(
        `Inventory: a full sync of these vendors runs now, then a refresh every ${Math.max(1, Math.round(inventoryEvery / 60_000))} minutes; lists and lookups read the vendors until it is published (npx keywarden inventory status, with Keywarden stopped, shows it).`,
      );
    if (archiveDir && archiveEveryMs > 0)
      notes.push(
        `Audit trail: archived every minute to ${relative(process.cwd(), archiveDir) || archiveDir}; check it with npx keywarden audit verify (with Keywarden stopped).`,
      );
    if (stored.redelivered > 0) {
      notes.push(
        `${stored.redelivered} job(s) still queued or running when Keywarden last stopped are being delivered again.`,
      );
    }
    if (stored.dead > 0) {
      notes.push(
        `${stored.dead} job(s) failed on every attempt and are kept in the local queue as dead-lettered (see the error log).`,
      );
    }
    if (!botToken)
      notes.push(
        'SLACK_BOT_TOKEN is not set: answers go through response_url only; CSV files and DMs are off.',
      );

    let server: Server | undefined;
    let url = 'socket-mode';
    if (appToken) {
      await app.start();
      closers.push(() => app.stop().then(() => undefined));
    } else {
      server = createServer((req, res) => {
        if (req.method === 'GET' && req.url === '/healthz') {
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
          return;
        }
        if (req.method !== 'POST' || req.url?.split('?')[0] !== '/slack/events') {
          res.writeHead(404).end();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        req.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY_BYTES) {
            res.writeHead(413).end();
            req.destroy();
            return;
          }
          chunks.push(c);
        });
        req.on('end', () => {
          if (res.writableEnded) return;
          const raw: RawRequest = { headers: lowerHeaders(req.headers), body: Buffer.concat(chunks) };
          receiver
            .handle(raw)
            .then((answer) => res.writeHead(answer.status, answer.headers).end(answer.body))
            .catch((err: unknown) => {
              logger.error('request handling failed', { err });
              if (!res.headersSent) res.writeHead(500).end();
            });
        });
      });
      const port = options.port ?? Number(env.PORT ?? 3000);
      await new Promise<void>((resolve, reject) => {
        server?.once('error', reject);
        server?.listen(port, '127.0.0.1', resolve);
      });
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const s = server;
      closers.push(
        () =>
          new Promise<void>((resolve) => {
            s.closeAllConnections();
            s.close(() => resolve());
          }),
      );
    }

    return {
      url,
      generatedSigningSecret,
      signingSecret,
      settings,
      notes,
      sandbox: vendors.sandboxes.idmelon,
      sandboxes: vendors.sandboxes,
      queue,
      ledger,
      limits,
      storeSocket: dynamo.socketPath,
      receiver,
      redactor,
      requests,
      app,
      sweep: sweepOnce,
      archive,
      archiveAudit: archiveNow,
      inventory: {
        store: built.inventory,
        queueSync: (vendor) => queue.enqueue(syncJob(clock.now(), vendor, 'once')),
        queueRefresh: (vendor) => queue.enqueue(refreshJob(clock.now(), vendor, 'once')),
        syncNow: async (vendor) => {
          if (!worker.inventory) throw new Error('no vendor has an inventory source');
          const engine = inventoryDeps(worker);
          const sources = (await worker.inventory.sources()).filter((s) => !vendor || s.vendor === vendor);
          const out: SyncSummary[] = [];
          for (const source of sources) out.push(await syncNow(source, engine));
          return out;
        },
        vendorSources: vendors.inventorySources,
      },
      policyStore: built.policy,
      schedulePolicies: () => schedulePolicyRun({ queue, clock, timeZone: settings.timeZone, logger }),
      policies,
      runPolicies: (o = {}) =>
        runPolicies(worker, { policy: o.policy, dryRun: o.dryRun ?? false, inlineNotices: true }),
      close: closeAll,
    };
  } catch (err) {
    await closeAll().catch(() => undefined);
    throw err;
  }
}

function lowerHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
