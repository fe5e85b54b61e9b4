import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { redeliveryDelaySeconds, sqsRedelivery } from '../../src/aws/sqs-queue.js';
import 'aws-sdk-client-mock-vitest/extend';

describe('bringing a failed job back sooner than the visibility timeout', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());

  it('waits 30 s for a job another worker holds, and 15 s doubling per receive for a failed one, at most 5 minutes', () => {
    expect(redeliveryDelaySeconds(true, 3)).toBe(30);
    expect([1, 2, 3, 4, 5, 6].map((n) => redeliveryDelaySeconds(false, n))).toEqual([
      15, 30, 60, 120, 240, 300,
    ]);
  });

  it('changes the message’s visibility on the job queue', async () => {
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    const url = 'https://sqs.eu-west-1.amazonaws.com/123456789012/keywarden-jobs';
    await sqsRedelivery(new SQSClient({ region: 'eu-west-1' }), url)('receipt-1', 60);
    expect(sqs).toReceiveCommandWith(ChangeMessageVisibilityCommand, {
      QueueUrl: url,
      ReceiptHandle: 'receipt-1',
      VisibilityTimeout: 60,
    });
  });
});
