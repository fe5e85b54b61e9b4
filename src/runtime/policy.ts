import { SQSClient } from '@aws-sdk/client-sqs';
import { sqsQueue } from '../aws/sqs-queue.js';
import { appLogger } from '../composition/deps.js';
import { loadSettings } from '../config/settings.js';
import { systemClock } from '../domain/clock.js';
import type { SchedulePolicyDeps } from '../features/policy/schedule.js';
import { ConfigError } from '../http/errors.js';
import { SecretRedactor } from '../log.js';

/**
 * The policy schedule on Lambda: it only queues the day's run for the worker (which holds the vendors, Slack and
 * the policy file), so it needs SQS and nothing else.
 */
export function policyRuntime(env: NodeJS.ProcessEnv): SchedulePolicyDeps {
  const settings = loadSettings(env);
  if (!settings.queueUrl) throw new ConfigError('KEYWARDEN_QUEUE_URL is not set');
  return {
    queue: sqsQueue(new SQSClient({}), settings.queueUrl),
    clock: systemClock,
    timeZone: settings.timeZone,
    logger: appLogger(settings, new SecretRedactor(), { fn: env.AWS_LAMBDA_FUNCTION_NAME }),
  };
}
