import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { sqsQueue } from '../aws/sqs-queue.js';
import { appLogger, sweepDeps } from '../composition/deps.js';
import { loadSettings } from '../config/settings.js';
import { systemClock } from '../domain/clock.js';
import type { SweepDeps } from '../features/revocation/sweep.js';
import { ConfigError } from '../http/errors.js';
import { SecretRedactor } from '../log.js';
import { RequestStore } from '../store/requests.js';
import { documentClient } from '../store/table.js';

/**
 * The sweep on Lambda: DynamoDB and SQS only. It reads no secret and talks to no vendor or Slack, so it needs
 * neither; the resumptions it queues run in the worker.
 */
export function sweepRuntime(env: NodeJS.ProcessEnv): SweepDeps {
  const settings = loadSettings(env);
  if (!settings.queueUrl) throw new ConfigError('KEYWARDEN_QUEUE_URL is not set');
  const redactor = new SecretRedactor();
  return sweepDeps(
    { clock: systemClock, logger: appLogger(settings, redactor, { fn: env.AWS_LAMBDA_FUNCTION_NAME }) },
    {
      store: new RequestStore(documentClient(new DynamoDBClient({})), {
        table: settings.table,
        retainDays: settings.retentionDays,
        redactor,
      }),
      queue: sqsQueue(new SQSClient({}), settings.queueUrl),
    },
  );
}
