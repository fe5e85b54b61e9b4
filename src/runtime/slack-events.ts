import { SQSClient } from '@aws-sdk/client-sqs';
import { createApp } from '../app.js';
import { AccessPolicy } from '../auth/access.js';
import { sqsQueue } from '../aws/sqs-queue.js';
import { ConfigError } from '../http/errors.js';
import { KeywardenReceiver } from '../slack/receiver.js';
import { lambdaBase, slackFor } from './base.js';

/** The Slack endpoint on Lambda: receiver, listeners, and the SQS hand-off to the worker. */
export function slackEventsRuntime(env: NodeJS.ProcessEnv) {
  const base = lambdaBase(env);
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
      queue: sqsQueue(new SQSClient({}), queueUrl),
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
