import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { runJobsCommand } from '../../src/cli/jobs.js';
import { EXIT_OK, runCli } from '../../src/cli/run.js';
import { startLocalDynamo } from '../../src/local/dynamo.js';
import { LocalQueueStore } from '../../src/store/local-queue.js';
import { documentClient } from '../../src/store/table.js';
import 'aws-sdk-client-mock-vitest/extend';

const job = (id: string) =>
  JSON.stringify({
    kind: 'keys.stale',
    id,
    origin: { user: 'UADMIN1', channel: 'C1', issuedAt: 1 },
    days: 90,
    mode: 'report',
  });

describe('keywarden jobs dlq / redrive (local queue)', () => {
  it('lists the jobs that failed on every attempt in plain words, then sends them back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-dlq-'));
    const dynamo = await startLocalDynamo({ table: 'keywarden', path: dataDir });
    const store = new LocalQueueStore(documentClient(dynamo.client), 'keywarden');
    await store.add({ jobId: 'job-dead-0001', kind: 'keys.stale', message: job('job-dead-0001'), now: 1 });
    await store.deadLetter('job-dead-0001', 2, 'IDmelon is failing (server error) after 4 attempts.');
    await dynamo.close();

    let out = '';
    const io = { stdout: (t: string) => (out += t), stderr: (t: string) => (out += t), env: {}, dataDir };
    expect(await runCli(['jobs', 'dlq'], io)).toBe(EXIT_OK);
    expect(out).toContain('1 job(s) failed on every attempt');
    expect(out).toContain('stale-key scan of 90 days for <@UADMIN1>');
    expect(out).toContain('IDmelon is failing (server error) after 4 attempts.');
    out = '';
    expect(await runCli(['jobs', 'redrive'], io)).toBe(EXIT_OK);
    expect(out).toContain('1 job(s) sent back');
    const again = await startLocalDynamo({ table: 'keywarden', path: dataDir });
    const after = await new LocalQueueStore(documentClient(again.client), 'keywarden').list();
    await again.close();
    expect(after.map((j) => j.state)).toEqual(['queued']);
  });
});

describe('keywarden jobs dlq / redrive (AWS)', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());
  const env = { KEYWARDEN_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/keywarden-jobs' };
  const dlqArn = 'arn:aws:sqs:eu-west-1:123456789012:keywarden-jobs-dlq';

  it('peeks at the dead-letter queue found through the redrive policy, and redrives it', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }) },
    });
    sqs
      .on(GetQueueUrlCommand)
      .resolves({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/keywarden-jobs-dlq' });
    const message = {
      MessageId: 'm1',
      Body: job('job-aws-0001'),
      Attributes: { ApproximateReceiveCount: '5', SentTimestamp: '1764000000000' },
    };
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message] })
      .resolves({ Messages: [message] });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    let out = '';
    const client = new SQSClient({ region: 'eu-west-1' });
    expect(await runJobsCommand('dlq', { stdout: (t) => (out += t), env, sqs: client })).toBe(0);
    expect(out).toContain('1 message(s) in the dead-letter queue');
    expect(out).toContain(
      'stale-key scan of 90 days for <@UADMIN1> [job job-aws-0001, message m1, received 5 times]',
    );
    expect(sqs).toReceiveCommandWith(ReceiveMessageCommand, { VisibilityTimeout: 0 });
    out = '';
    await runJobsCommand('redrive', { stdout: (t) => (out += t), env, sqs: client });
    expect(sqs).toReceiveCommandWith(StartMessageMoveTaskCommand, { SourceArn: dlqArn });
    expect(out).toContain('task-1');
  });
});
