import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
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

/**
 * Brings a received message back sooner than the queue's visibility timeout: a job another worker holds, or one that
 * failed part-way, is delivered again after `seconds`, not after the 12 minutes a long job needs.
 */
export function sqsRedelivery(client: SQSClient, queueUrl: string) {
  return async (receiptHandle: string, seconds: number): Promise<void> => {
    await client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  };
}

/** How long a failed job waits before its next delivery: busy, 30 s; failed, 15 s doubling per receive, at most 5 min. */
export function redeliveryDelaySeconds(busy: boolean, receiveCount: number): number {
  if (busy) return 30;
  return Math.min(300, 15 * 2 ** Math.max(0, receiveCount - 1));
}
