import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EmfMetrics } from '../aws/emf-metrics.js';
import { appLogger, type Core } from '../composition/deps.js';
import { awsSecretStore } from '../config/aws-secrets.js';
import { redacting, type SecretStore } from '../config/secrets.js';
import { loadSettings, type Settings } from '../config/settings.js';
import { systemClock } from '../domain/clock.js';
import { ConfigError } from '../http/errors.js';
import { type Logger, SecretRedactor } from '../log.js';
import type { VendorRegistry, VendorSpec } from '../providers/descriptor.js';
import { VENDOR_SPECS } from '../providers/specs.js';
import type { SlackApi } from '../slack/api.js';
import { webApiSlack } from '../slack/web-api.js';
import { documentClient } from '../store/table.js';

/**
 * What every Lambda function builds once per cold start, at module level (as Powertools does): settings, the
 * logger with its redactor, and the secret store. No I/O happens here; the secret is read on first use.
 * Each function has its own runtime module so a bundle carries only the SDK clients it uses.
 */
export interface LambdaBase {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  redactor: SecretRedactor;
  secrets: SecretStore;
  settings: Settings;
  /** The vendors' specs: enough to validate and redact the secret, without any provider code. */
  registry: VendorRegistry<VendorSpec>;
  /** CloudWatch metrics through the function's logs, published at the end of each invocation. */
  metrics: EmfMetrics;
}

export interface LambdaOptions {
  secretsManager?: SecretsManagerClient;
  /** The vendors (tests add one). @default the registry's specs; the worker and digest pass the whole registry */
  registry?: VendorRegistry<VendorSpec>;
}

export function lambdaBase(env: NodeJS.ProcessEnv, options: LambdaOptions = {}): LambdaBase {
  const redactor = new SecretRedactor();
  const settings = loadSettings(env);
  const logger = appLogger(settings, redactor, { fn: env.AWS_LAMBDA_FUNCTION_NAME });
  const secretId = env.KEYWARDEN_SECRET_ID?.trim();
  if (!secretId) throw new ConfigError('KEYWARDEN_SECRET_ID is not set');
  const registry = options.registry ?? VENDOR_SPECS;
  const secrets = redacting(
    awsSecretStore({
      secretId,
      client: options.secretsManager ?? new SecretsManagerClient({}),
      vendors: registry.descriptors,
    }),
    redactor,
    registry.descriptors,
  );
  const metrics = new EmfMetrics({ service: env.AWS_LAMBDA_FUNCTION_NAME ?? 'keywarden', logger });
  return { env, logger, redactor, secrets, settings, registry, metrics };
}

/** `SLACK_API_URL` overrides the Web API base (tests point it at a local fake; unset in production). */
export function slackFor(base: LambdaBase): SlackApi {
  return webApiSlack({
    token: async () => (await base.secrets.get()).SLACK_BOT_TOKEN,
    slackApiUrl: base.env.SLACK_API_URL,
    logger: base.logger,
    redactor: base.redactor,
  });
}

/** The parts every function shares, over one DynamoDB client. */
export function lambdaCore(base: LambdaBase, dynamo: DynamoDBClient = new DynamoDBClient({})): Core {
  return {
    settings: base.settings,
    db: documentClient(dynamo),
    slack: slackFor(base),
    clock: systemClock,
    logger: base.logger,
    metrics: base.metrics,
    redactor: base.redactor,
    vendors: base.registry,
  };
}
