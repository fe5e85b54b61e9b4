import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsSecretStore } from '../config/aws-secrets.js';
import { redacting, type SecretStore } from '../config/secrets.js';
import { loadSettings, type Settings } from '../config/settings.js';
import { ConfigError } from '../http/errors.js';
import { jsonLogger, type Logger, SecretRedactor } from '../log.js';
import type { SlackApi } from '../slack/api.js';
import { webApiSlack } from '../slack/web-api.js';

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
}

export function lambdaBase(env: NodeJS.ProcessEnv, secretsManager?: SecretsManagerClient): LambdaBase {
  const redactor = new SecretRedactor();
  const level = env.KEYWARDEN_LOG_LEVEL;
  const logger = jsonLogger({
    level: level === 'debug' || level === 'warn' || level === 'error' ? level : 'info',
    redactor,
    base: { fn: env.AWS_LAMBDA_FUNCTION_NAME },
  });
  const secretId = env.KEYWARDEN_SECRET_ID?.trim();
  if (!secretId) throw new ConfigError('KEYWARDEN_SECRET_ID is not set');
  const secrets = redacting(
    awsSecretStore({ secretId, client: secretsManager ?? new SecretsManagerClient({}) }),
    redactor,
  );
  return { env, logger, redactor, secrets, settings: loadSettings(env) };
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
