import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { lambdaVendorConfig } from '../composition/config.js';
import { appLogger, type Core } from '../composition/deps.js';
import { buildProviders } from '../composition/providers.js';
import { awsSecretStore } from '../config/aws-secrets.js';
import { redacting, type SecretStore } from '../config/secrets.js';
import { loadSettings, type Settings } from '../config/settings.js';
import { systemClock } from '../domain/clock.js';
import type { Provider } from '../domain/provider.js';
import { ConfigError } from '../http/errors.js';
import { type Transport, undiciTransport } from '../http/transport.js';
import { type Logger, SecretRedactor } from '../log.js';
import { VENDORS, type VendorRegistry } from '../providers/registry.js';
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
  registry: VendorRegistry;
}

export interface LambdaOptions {
  secretsManager?: SecretsManagerClient;
  /** The vendors (tests add one). @default the registry */
  registry?: VendorRegistry;
}

export function lambdaBase(env: NodeJS.ProcessEnv, options: LambdaOptions = {}): LambdaBase {
  const redactor = new SecretRedactor();
  const settings = loadSettings(env);
  const logger = appLogger(settings, redactor, { fn: env.AWS_LAMBDA_FUNCTION_NAME });
  const secretId = env.KEYWARDEN_SECRET_ID?.trim();
  if (!secretId) throw new ConfigError('KEYWARDEN_SECRET_ID is not set');
  const registry = options.registry ?? VENDORS;
  const secrets = redacting(
    awsSecretStore({
      secretId,
      client: options.secretsManager ?? new SecretsManagerClient({}),
      vendors: registry.descriptors,
    }),
    redactor,
    registry.descriptors,
  );
  return { env, logger, redactor, secrets, settings, registry };
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
    redactor: base.redactor,
    vendors: base.registry,
  };
}

/** Vendors from the secret (then the environment): one provider per vendor whose settings are present. */
export async function providersFromSecrets(
  base: LambdaBase,
  transport: Transport = undiciTransport(),
): Promise<Provider[]> {
  const config = await lambdaVendorConfig(base.secrets, base.env, base.registry);
  return buildProviders(config, {
    transport,
    logger: base.logger,
    requestTimeoutMs: base.settings.httpTimeoutMs,
    redact: (value) => base.redactor.add(value),
  });
}

/**
 * The vendors, built once per container on first use (so a warm container keeps its HTTP connections and the user
 * directory); a failed build is not kept, so the next invocation tries again.
 */
export function cachedProviders(base: LambdaBase, transport?: Transport): () => Promise<Provider[]> {
  let providers: Promise<Provider[]> | undefined;
  return () => {
    providers ??= providersFromSecrets(base, transport).catch((err: unknown) => {
      providers = undefined;
      throw err;
    });
    return providers;
  };
}
