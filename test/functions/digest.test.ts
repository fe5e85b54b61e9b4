import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ScheduledEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdmelonSandbox, startIdmelonSandbox } from '../../sandbox/idmelon/index.js';
import { awsEndpointTable } from '../helpers/dynamo.js';
import { FakeSlack } from '../helpers/fake-slack.js';

describe('functions/digest (EventBridge schedule)', () => {
  const sm = mockClient(SecretsManagerClient);
  const slack = new FakeSlack();
  let sandbox: IdmelonSandbox;
  let db: Awaited<ReturnType<typeof awsEndpointTable>>;
  let handler: (e: ScheduledEvent) => Promise<{ status: string }>;

  beforeAll(async () => {
    await slack.start();
    sandbox = await startIdmelonSandbox({ users: 100, keys: 300, logs: 1000 });
    db = await awsEndpointTable();
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      KEYWARDEN_SECRET_ID: 'keywarden/test',
      KEYWARDEN_TABLE: db.table,
      KEYWARDEN_DIGEST_CHANNEL: 'CDIGEST',
      KEYWARDEN_TIMEZONE: 'Europe/Paris',
      KEYWARDEN_LOG_LEVEL: 'error',
      SLACK_API_URL: slack.apiUrl,
    });
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({
        SLACK_SIGNING_SECRET: 's'.repeat(32),
        SLACK_BOT_TOKEN: 'xoxb-digest-lambda-0123',
        IDMELON_BASE_URL: sandbox.url,
        IDMELON_API_KEY: sandbox.apiKey,
      }),
    });
    ({ handler } = await import('../../functions/digest.js'));
  });
  afterAll(async () => {
    await sandbox.close();
    await db.close();
    await slack.close();
  });

  it('posts the digest to the digest channel once, even when the schedule fires twice', async () => {
    const event = { source: 'aws.scheduler' } as unknown as ScheduledEvent;
    expect(await handler(event)).toEqual({ status: 'posted' });
    expect(await handler(event)).toEqual({ status: 'duplicate' });
    const posts = slack.callsOf('chat.postMessage').filter((c) => c.args.channel === 'CDIGEST');
    expect(posts).toHaveLength(1);
    expect(JSON.stringify(posts[0]?.args.blocks)).toMatch(
      /Weekly digest: \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d/,
    );
  });
});
