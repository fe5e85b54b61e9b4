import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createApp } from '../app.js';
import { AccessPolicy } from '../auth/access.js';
import { sqsQueue } from '../aws/sqs-queue.js';
import { awsSecretStore } from '../config/aws-secrets.js';
import { bundleSecret, redacting, type SecretStore } from '../config/secrets.js';
import { loadSettings } from '../config/settings.js';
import { ConfigError } from '../http/errors.js';
import { type Transport, undiciTransport } from '../http/transport.js';
import type { WorkerDeps } from '../jobs/worker.js';
import { jsonLogger, type Logger, SecretRedactor } from '../log.js';
import { IDMELON_REGIONS } from '../providers/idmelon/client.js';
import { createIdmelonProvider } from '../providers/idmelon/index.js';
import type { Provider } from '../providers/types.js';
import { KeywardenReceiver } from '../slack/receiver.js';
import { webApiSlack } from '../slack/web-api.js';
import { JobLedger } from '../store/jobs.js';
import { documentClient } from '../store/table.js';
import { systemClock } from '../util/clock.js';

/**
 * Production wiring for the Lambda functions, built once per cold start at module level (as Powertools does):
 * AWS clients, the secret store, the logger. Nothing here does I/O until a request needs it; the secret is read
 * on first use and cached.
 */
export interface LambdaBase {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  secrets: SecretStore;
  transport: Transport;
  settings: ReturnType<typeof loadSettings>;
}

export interface LambdaClients {
  secretsManager?: SecretsManagerClient;
  sqs?: SQSClient;
  dynamodb?: DynamoDBClient;
}

export function lambdaBase(env: NodeJS.ProcessEnv, clients: LambdaClients = {}): LambdaBase {
  const redactor = new SecretRedactor();
  const logger = jsonLogger({
    level: (env.KEYWARDEN_LOG_LEVEL as 'info' | undefined) ?? 'info',
    redactor,
    base: { fn: env.AWS_LAMBDA_FUNCTION_NAME },
  });
  const secretId = env.KEYWARDEN_SECRET_ID?.trim();
  if (!secretId) throw new ConfigError('KEYWARDEN_SECRET_ID is not set');
  const secrets = redacting(
    awsSecretStore({ secretId, client: clients.secretsManager ?? new SecretsManagerClient({}) }),
    redactor,
  );
  return { env, logger, secrets, transport: undiciTransport(), settings: loadSettings(env) };
}

/** Vendors from the secret: one provider per vendor whose credentials it holds. */
export async function providersFromSecrets(base: LambdaBase): Promise<Provider[]> {
  const bundle = await base.secrets.get();
  const providers: Provider[] = [];
  if (bundle.IDMELON_API_KEY) {
    providers.push(
      createIdmelonProvider({
        baseUrl: bundle.IDMELON_BASE_URL ?? IDMELON_REGIONS[bundle.IDMELON_REGION ?? 'us'],
        apiKey: bundleSecret(base.secrets, (b) => b.IDMELON_API_KEY, 'IDMELON_API_KEY'),
        transport: base.transport,
        logger: base.logger,
      }),
    );
  }
  return providers;
}

/** `SLACK_API_URL` overrides the Web API base (tests point it at a local fake; unset in production). */
function slackFor(base: LambdaBase) {
  return webApiSlack({
    token: async () => (await base.secrets.get()).SLACK_BOT_TOKEN,
    slackApiUrl: base.env.SLACK_API_URL,
    logger: base.logger,
  });
}

/** The Slack endpoint: receiver, listeners, and the SQS hand-off. */
export function slackEventsRuntime(env: NodeJS.ProcessEnv, clients: LambdaClients = {}) {
  const base = lambdaBase(env, clients);
  const queueUrl = base.settings.queueUrl;
  if (!queueUrl) throw new ConfigError('KEYWARDEN_QUEUE_URL is not set');
  const slack = slackFor(base);
  const receiver = new KeywardenReceiver({
    signingSecret: async () => (await base.secrets.get()).SLACK_SIGNING_SECRET,
    logger: base.logger,
  });
  createApp({
    deps: {
      access: new AccessPolicy(slack, base.logger),
      admins: { users: base.settings.admins, group: base.settings.adminGroup },
      queue: sqsQueue(clients.sqs ?? new SQSClient({}), queueUrl),
      slack,
      logger: base.logger,
      now: Date.now,
    },
    receiver,
    botToken: async () => (await base.secrets.get()).SLACK_BOT_TOKEN,
    slackApiUrl: env.SLACK_API_URL,
  });
  return { receiver, logger: base.logger };
}

/** The worker: vendors (built once, so the user directory stays warm), Slack, the job ledger. */
export function workerRuntime(env: NodeJS.ProcessEnv, clients: LambdaClients = {}): WorkerDeps {
  const base = lambdaBase(env, clients);
  let providers: Promise<Provider[]> | undefined;
  return {
    providers: () => {
      providers ??= providersFromSecrets(base).catch((err: unknown) => {
        providers = undefined;
        throw err;
      });
      return providers;
    },
    slack: slackFor(base),
    ledger: new JobLedger(documentClient(clients.dynamodb ?? new DynamoDBClient({})), {
      table: base.settings.table,
    }),
    clock: systemClock,
    logger: base.logger,
  };
}
