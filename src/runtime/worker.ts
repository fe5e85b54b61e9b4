import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AccessPolicy } from '../auth/access.js';
import { sqsQueue } from '../aws/sqs-queue.js';
import { bundleSecret } from '../config/secrets.js';
import { systemClock } from '../domain/clock.js';
import type { Provider } from '../domain/provider.js';
import { undiciTransport } from '../http/transport.js';
import type { WorkerDeps } from '../jobs/worker.js';
import { IDMELON_REGIONS } from '../providers/idmelon/client.js';
import { createIdmelonProvider } from '../providers/idmelon/index.js';
import { SOLVIMON_DEFAULT_BASE_URL } from '../providers/solvimon/client.js';
import { createSolvimonProvider } from '../providers/solvimon/index.js';
import { TRYMELLON_DEFAULT_BASE_URL } from '../providers/trymellon/client.js';
import { createTryMellonProvider } from '../providers/trymellon/index.js';
import { JobLedger } from '../store/jobs.js';
import { RequestStore } from '../store/requests.js';
import { documentClient } from '../store/table.js';
import { WorkLimits } from '../store/work-limits.js';
import { type LambdaBase, lambdaBase, slackFor } from './base.js';

/** Vendors from the secret: one provider per vendor whose credentials it holds. */
export async function providersFromSecrets(
  base: LambdaBase,
  transport = undiciTransport(),
): Promise<Provider[]> {
  const bundle = await base.secrets.get();
  const providers: Provider[] = [];
  const common = { transport, logger: base.logger };
  if (bundle.IDMELON_API_KEY) {
    providers.push(
      createIdmelonProvider({
        ...common,
        baseUrl: bundle.IDMELON_BASE_URL ?? IDMELON_REGIONS[bundle.IDMELON_REGION ?? 'us'],
        apiKey: bundleSecret(base.secrets, (b) => b.IDMELON_API_KEY, 'IDMELON_API_KEY'),
      }),
    );
  }
  if (bundle.TRYMELLON_CLIENT_ID && bundle.TRYMELLON_CLIENT_SECRET) {
    providers.push(
      createTryMellonProvider({
        ...common,
        baseUrl: bundle.TRYMELLON_BASE_URL ?? TRYMELLON_DEFAULT_BASE_URL,
        clientId: bundleSecret(base.secrets, (b) => b.TRYMELLON_CLIENT_ID, 'TRYMELLON_CLIENT_ID'),
        clientSecret: bundleSecret(base.secrets, (b) => b.TRYMELLON_CLIENT_SECRET, 'TRYMELLON_CLIENT_SECRET'),
        onToken: (t) => base.redactor.add(t),
      }),
    );
  }
  if (bundle.SOLVIMON_API_KEY) {
    providers.push(
      createSolvimonProvider({
        ...common,
        baseUrl: bundle.SOLVIMON_BASE_URL ?? SOLVIMON_DEFAULT_BASE_URL,
        apiKey: bundleSecret(base.secrets, (b) => b.SOLVIMON_API_KEY, 'SOLVIMON_API_KEY'),
        platformId: bundle.SOLVIMON_PLATFORM_ID,
        deactivateBody: base.settings.solvimonDeactivateBody,
      }),
    );
  }
  return providers;
}

/**
 * The vendors, built once per container on first use (so a warm container keeps its HTTP connections and the user
 * directory); a failed build is not kept, so the next invocation tries again.
 */
export function cachedProviders(base: LambdaBase): () => Promise<Provider[]> {
  let providers: Promise<Provider[]> | undefined;
  return () => {
    providers ??= providersFromSecrets(base).catch((err: unknown) => {
      providers = undefined;
      throw err;
    });
    return providers;
  };
}

/** The worker on Lambda: vendors, Slack, the job ledger and the revocation store. */
export function workerRuntime(env: NodeJS.ProcessEnv): WorkerDeps {
  const base = lambdaBase(env);
  const db = documentClient(new DynamoDBClient({}));
  const slack = slackFor(base);
  const s = base.settings;
  if (!s.queueUrl) base.logger.warn('KEYWARDEN_QUEUE_URL is not set: long revocations wait for the sweep');
  if (!s.approvalsChannel)
    base.logger.warn('KEYWARDEN_APPROVALS_CHANNEL is not set: revocation requests are refused until it is');
  return {
    providers: cachedProviders(base),
    queue: s.queueUrl ? sqsQueue(new SQSClient({}), s.queueUrl) : undefined,
    slack,
    ledger: new JobLedger(db, { table: s.table }),
    limits: new WorkLimits(db, { table: s.table, perUser: s.maxJobsPerUser, total: s.maxJobs }),
    clock: systemClock,
    logger: base.logger,
    digest: { timeZone: s.timeZone, staleDays: s.staleDays },
    revocation: {
      store: new RequestStore(db, { table: s.table, retainDays: s.retentionDays, redactor: base.redactor }),
      access: new AccessPolicy(slack, base.logger),
      approvers: { users: s.approvers, group: s.approverGroup },
      approvalsChannel: s.approvalsChannel,
      auditChannel: s.auditChannel,
      dryRun: s.dryRun,
      ttlHours: s.requestTtlHours,
      // The worker's timeout is 120 s (serverless.yml): a 40 s slice plus one vendor call of at most 60 s ends
      // inside it, and inside the 300 s lease, so a run is never cut off mid-batch by Lambda.
      sliceMs: 40_000,
      deadlineMs: 60_000,
    },
  };
}
