import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createApp } from '../app.js';
import { sqsQueue } from '../aws/sqs-queue.js';
import { listenerDeps, stores } from '../composition/deps.js';
import { ConfigError } from '../http/errors.js';
import { KeywardenReceiver } from '../slack/receiver.js';
import { documentClient } from '../store/table.js';
import { type LambdaOptions, lambdaBase, lambdaCore } from './base.js';

/**
 * The Slack endpoint on Lambda: receiver, listeners, the work limits (in DynamoDB, so they hold across
 * containers) and the SQS hand-off to the worker; and the metrics the handler publishes after each request.
 */
export function slackEventsRuntime(env: NodeJS.ProcessEnv, options: LambdaOptions = {}) {
  const base = lambdaBase(env, options);
  const queueUrl = base.settings.queueUrl;
  if (!queueUrl) throw new ConfigError('KEYWARDEN_QUEUE_URL is not set');
  const core = lambdaCore(base);
  const built = stores({ ...core, db: documentClient(limitsClient()) });
  const receiver = new KeywardenReceiver({
    signingSecret: async () => (await base.secrets.get()).SLACK_SIGNING_SECRET,
    logger: base.logger,
  });
  createApp({
    deps: listenerDeps(core, {
      queue: sqsQueue(new SQSClient({}), queueUrl),
      limits: built.limits,
      // The Home reads with the same tight timeouts as the limits: it must be published within Slack's 3 seconds.
      home: built,
      audit: built.audit,
    }),
    receiver,
    botToken: async () => (await base.secrets.get()).SLACK_BOT_TOKEN,
    slackApiUrl: env.SLACK_API_URL,
  });
  return { receiver, logger: base.logger, metrics: base.metrics };
}

/**
 * DynamoDB answers in single-digit milliseconds; a call that takes half a second is not going to answer in time.
 * At most two calls of at most two 500 ms attempts keep the limits within 2 s of Slack's 3 s, and a timeout is
 * then treated like any other limits failure: the job is queued anyway (see `queued`).
 */
function limitsClient(): DynamoDBClient {
  return new DynamoDBClient({
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 500, requestTimeout: 500 },
  });
}
