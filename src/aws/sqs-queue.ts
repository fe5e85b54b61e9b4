import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { JobInput, JobQueue } from '../jobs/job.js';

/** The Lambda hand-off: one SQS message per job; the worker function consumes the queue. */
export function sqsQueue(client: SQSClient, queueUrl: string): JobQueue {
  return {
    async enqueue(job: JobInput) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(job),
          MessageAttributes: { kind: { DataType: 'String', StringValue: job.kind } },
        }),
      );
    },
  };
}
