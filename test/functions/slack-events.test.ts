import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { signedHeaders, slashCommandBody } from '../helpers/slack-requests.js';

const SIGNING_SECRET = 'lambda-signing-secret-0123456789';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/keywarden-jobs';

function apiEvent(body: string, headers: Record<string, string>, base64 = true): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /slack/events',
    rawPath: '/slack/events',
    rawQueryString: '',
    // HTTP API keeps header names as sent; Slack sends them capitalised.
    headers: Object.fromEntries(
      Object.entries(headers).map(([k, v]) => [
        k.replace(/(^|-)([a-z])/g, (_m, d, c: string) => d + c.toUpperCase()),
        v,
      ]),
    ),
    isBase64Encoded: base64,
    body: base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
    requestContext: {} as APIGatewayProxyEventV2['requestContext'],
  };
}

describe('functions/slack-events (HTTP API payload 2.0)', () => {
  const sm = mockClient(SecretsManagerClient);
  const sqs = mockClient(SQSClient);
  const dynamo = mockClient(DynamoDBDocumentClient);
  let handler: (e: APIGatewayProxyEventV2) => Promise<{ statusCode?: number; body?: string }>;

  beforeAll(async () => {
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      KEYWARDEN_SECRET_ID: 'keywarden/test',
      KEYWARDEN_QUEUE_URL: QUEUE_URL,
      KEYWARDEN_ADMINS: 'UADMIN1',
      KEYWARDEN_LOG_LEVEL: 'error',
    });
    ({ handler } = await import('../../functions/slack-events.js'));
  });
  beforeEach(() => {
    sm.reset();
    sqs.reset();
    dynamo.reset();
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_BOT_TOKEN: 'xoxb-lambda-0123456789',
      }),
    });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    dynamo.on(UpdateCommand).resolves({});
  });

  it('on a cold start, reads the secret once, decodes a base64 UTF-8 body, queues the job on SQS and acknowledges', async () => {
    const body = slashCommandBody({
      command: '/user',
      text: 'lookup Zoë Müller',
      response_url: 'https://hooks.slack.com/commands/T1/1/abc',
    });
    const res = await handler(apiEvent(body, signedHeaders(SIGNING_SECRET, body)));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Looking up Zoë Müller');
    expect(sqs).toReceiveCommandTimes(SendMessageCommand, 1);
    const sent = JSON.parse(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}');
    expect(sent).toMatchObject({
      kind: 'user.lookup',
      query: 'Zoë Müller',
      origin: { user: 'UADMIN1', channel: 'C0ADMINS' },
    });
    expect(sqs).toReceiveCommandWith(SendMessageCommand, { QueueUrl: QUEUE_URL });
    expect(sm).toReceiveCommandTimes(GetSecretValueCommand, 1);
    // The work slot was taken in the table first: one conditional write, no read.
    expect(dynamo).toReceiveCommandTimes(UpdateCommand, 1);
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      TableName: 'keywarden',
      Key: { pk: 'LIMITS', sk: 'WORK' },
    });
    expect(dynamo).toReceiveCommandTimes(GetCommand, 0);
  });

  it('refuses a job over the per-person cap in the acknowledgement, with two DynamoDB calls and no SQS message', async () => {
    const live = Date.now() + 600_000;
    dynamo.on(UpdateCommand).rejects(
      Object.assign(new Error('The conditional request failed'), {
        name: 'ConditionalCheckFailedException',
      }),
    );
    dynamo.on(GetCommand).resolves({
      Item: {
        pk: 'LIMITS',
        sk: 'WORK',
        'u:UADMIN1': [1, 2, 3].map((i) => ({ j: `job-${i}`, x: live })),
        all: [1, 2, 3].map((i) => ({ j: `job-${i}`, x: live })),
      },
    });
    const body = slashCommandBody({
      command: '/keys',
      text: 'stale 1',
      response_url: 'https://hooks.slack.com/commands/T1/3/abc',
    });
    const res = await handler(apiEvent(body, signedHeaders(SIGNING_SECRET, body)));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('You already have 3 jobs running; wait for one to finish.');
    expect(sqs).toReceiveCommandTimes(SendMessageCommand, 0);
    expect(dynamo.calls()).toHaveLength(2);
  });

  it('queues the job anyway when the limits cannot be checked (fail open)', async () => {
    dynamo
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' }));
    const body = slashCommandBody({
      command: '/user',
      text: 'lookup alice',
      response_url: 'https://hooks.slack.com/commands/T1/4/abc',
    });
    const res = await handler(apiEvent(body, signedHeaders(SIGNING_SECRET, body)));
    expect(res.body).toContain('Looking up alice');
    expect(dynamo).toReceiveCommandTimes(UpdateCommand, 1);
    expect(sqs).toReceiveCommandTimes(SendMessageCommand, 1);
  });

  it('answers 401 to an unsigned request and queues nothing', async () => {
    const body = slashCommandBody({ command: '/keys', text: 'stale 90' });
    const res = await handler(apiEvent(body, { 'content-type': 'application/x-www-form-urlencoded' }));
    expect(res.statusCode).toBe(401);
    expect(sqs).toReceiveCommandTimes(SendMessageCommand, 0);
  });

  it('tells the admin when the queue is unavailable, instead of dropping the command', async () => {
    sqs
      .on(SendMessageCommand)
      .rejects(Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' }));
    const body = slashCommandBody({
      command: '/keys',
      text: 'stale 90',
      response_url: 'https://hooks.slack.com/commands/T1/2/abc',
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const res = await handler(apiEvent(body, signedHeaders(SIGNING_SECRET, body), false));
    const logged = stderr.mock.calls.map((c) => String(c[0])).join('');
    stderr.mockRestore();
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('its work queue is unavailable. Nothing was run');
    expect(logged).toContain('"msg":"could not queue a job"');
  });
});
