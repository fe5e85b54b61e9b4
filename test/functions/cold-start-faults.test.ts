import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { signedHeaders, slashCommandBody } from '../helpers/slack-requests.js';

const SIGNING_SECRET = 'cold-start-signing-secret-0123456';

/** AWS failing underneath the functions: each is answered or retried, never lost, never a stack trace to Slack. */
describe('AWS faults at the Lambda edges', () => {
  const sm = mockClient(SecretsManagerClient);
  const sqs = mockClient(SQSClient);
  const ddb = mockClient(DynamoDBDocumentClient);

  beforeAll(() => {
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      KEYWARDEN_SECRET_ID: 'keywarden/test',
      KEYWARDEN_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs',
      KEYWARDEN_TABLE: 'keywarden-test',
      KEYWARDEN_ADMINS: 'UADMIN1',
      KEYWARDEN_LOG_LEVEL: 'error',
    });
  });
  beforeEach(() => {
    sm.reset();
    sqs.reset();
    ddb.reset();
    vi.resetModules();
  });

  const quietly = async <T>(fn: () => Promise<T>): Promise<{ result: T; logged: string }> => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const result = await fn();
      return { result, logged: spy.mock.calls.map((c) => String(c[0])).join('') };
    } finally {
      spy.mockRestore();
    }
  };

  it('slack-events answers 503, and queues nothing, when Secrets Manager is throttled at cold start', async () => {
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
    );
    const { handler } = await import('../../functions/slack-events.js');
    const body = slashCommandBody({ command: '/keys', text: 'stale 90' });
    const event = {
      version: '2.0',
      rawPath: '/slack/events',
      headers: signedHeaders(SIGNING_SECRET, body),
      isBase64Encoded: false,
      body,
    } as unknown as APIGatewayProxyEventV2;
    const { result, logged } = await quietly(() => handler(event));
    expect(result.statusCode).toBe(503);
    expect(sqs).toReceiveCommandTimes(SendMessageCommand, 0);
    expect(logged).toContain(
      'could not read secret keywarden/test from Secrets Manager (ThrottlingException)',
    );
  });

  it('slack-events recovers on the next request once Secrets Manager answers', async () => {
    sm.on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('unavailable'), { name: 'ServiceUnavailableException' }))
      .resolves({
        SecretString: JSON.stringify({
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_BOT_TOKEN: 'xoxb-cold-0123456789',
        }),
      });
    sqs.on(SendMessageCommand).resolves({});
    const { handler } = await import('../../functions/slack-events.js');
    const make = () => {
      const body = slashCommandBody({
        command: '/keys',
        text: 'stale 90',
        response_url: 'https://hooks.slack.com/x',
      });
      return {
        version: '2.0',
        rawPath: '/slack/events',
        headers: signedHeaders(SIGNING_SECRET, body),
        isBase64Encoded: false,
        body,
      } as unknown as APIGatewayProxyEventV2;
    };
    const first = await quietly(() => handler(make()));
    expect(first.result.statusCode).toBe(503);
    const second = await handler(make());
    expect(second.statusCode).toBe(200);
    expect(sqs).toReceiveCommandTimes(SendMessageCommand, 1);
  });

  it('worker hands a job back to SQS when DynamoDB throttles its claim', async () => {
    ddb
      .on(PutCommand)
      .rejects(
        Object.assign(new Error('Throughput exceeded'), { name: 'ProvisionedThroughputExceededException' }),
      );
    const { handler } = await import('../../functions/worker.js');
    const job = {
      kind: 'user.lookup',
      id: 'job-throttled-0001',
      origin: { user: 'UADMIN1', channel: 'C1', issuedAt: Date.now() },
      query: 'alice@acme.example',
    };
    const event = { Records: [{ messageId: 'm-1', body: JSON.stringify(job) } as SQSRecord] } as SQSEvent;
    const { result, logged } = await quietly(() => handler(event));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(logged).toContain('"msg":"job will be retried by SQS"');
  });
});
