import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type IdmelonSandbox, startIdmelonSandbox } from '../../sandbox/idmelon/index.js';
import type { Job } from '../../src/jobs/job.js';
import { awsEndpointTable } from '../helpers/dynamo.js';
import { FakeSlack } from '../helpers/fake-slack.js';

const record = (body: string, id: string): SQSRecord => ({ messageId: id, body }) as SQSRecord;

describe('functions/worker (SQS)', () => {
  const sm = mockClient(SecretsManagerClient);
  const slack = new FakeSlack();
  let sandbox: IdmelonSandbox;
  let db: Awaited<ReturnType<typeof awsEndpointTable>>;
  let handler: (e: SQSEvent) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;

  beforeAll(async () => {
    await slack.start();
    sandbox = await startIdmelonSandbox({
      apiKey: 'idmelon-rotated-key-v2-0123456789',
      users: 200,
      keys: 600,
      logs: 0,
    });
    db = await awsEndpointTable();
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      KEYWARDEN_SECRET_ID: 'keywarden/test',
      KEYWARDEN_TABLE: db.table,
      KEYWARDEN_LOG_LEVEL: 'error',
      SLACK_API_URL: slack.apiUrl,
    });
    const secret = (key: string) => ({
      SecretString: JSON.stringify({
        SLACK_SIGNING_SECRET: 's'.repeat(32),
        SLACK_BOT_TOKEN: 'xoxb-worker-0123456789',
        IDMELON_BASE_URL: sandbox.url,
        IDMELON_API_KEY: key,
      }),
    });
    // The container starts with the key from before a rotation; the next read has the new one.
    sm.on(GetSecretValueCommand)
      .resolvesOnce(secret('idmelon-old-key-v1-0123456789'))
      .resolves(secret(sandbox.apiKey));
    ({ handler } = await import('../../functions/worker.js'));
  });
  afterAll(async () => {
    await sandbox.close();
    await db.close();
    await slack.close();
  });

  it('runs a job after a key rotation (401, re-read the secret, succeed) and fails only the bad message', async () => {
    const responseUrl = slack.responseUrl();
    const job: Job = {
      kind: 'keys.stale',
      id: 'lambda-job-0001',
      origin: { user: 'UADMIN1', channel: 'C0ADMINS', responseUrl, issuedAt: Date.now() },
      days: 90,
      mode: 'report',
      offset: 0,
      reply: 'replace',
    };
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const res = await handler({
      Records: [record(JSON.stringify(job), 'good'), record('{"kind":"nope"}', 'bad')],
    });
    const logged = stderr.mock.calls.map((c) => String(c[0])).join('');
    stderr.mockRestore();
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    const invalid = logged
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'an SQS message is not a valid job; it will end in the dead-letter queue');
    // The line names the message, and the invocation it came in (the first in this container: a cold start).
    expect(invalid).toMatchObject({ messageId: 'bad', coldStart: expect.any(Boolean) });
    for (const secret of ['xoxb-worker-0123456789', 'idmelon-old-key-v1-0123456789', sandbox.apiKey]) {
      expect(logged).not.toContain(secret);
    }
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(JSON.stringify(slack.postsTo(responseUrl)[0]?.blocks)).toContain('Keys unused for 90+ days');
    expect(sandbox.server.count('/administrator/securityDevice')).toBeGreaterThan(0);

    const again = await handler({ Records: [record(JSON.stringify(job), 'good-redelivered')] });
    expect(again.batchItemFailures).toEqual([]);
    expect(slack.postsTo(responseUrl)).toHaveLength(1);
  });

  it('publishes the invocation’s metrics as EMF lines on stdout when it ends', async () => {
    const job: Job = {
      kind: 'user.lookup',
      id: 'lambda-job-0002',
      origin: {
        user: 'UADMIN1',
        channel: 'C0ADMINS',
        responseUrl: slack.responseUrl(),
        issuedAt: Date.now(),
      },
      query: 'nobody@acme.example',
    } as Job;
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await handler({ Records: [record(JSON.stringify(job), 'lookup')] });
    const written = stdout.mock.calls.map((c) => String(c[0])).join('');
    stdout.mockRestore();
    const emf = written
      .split('\n')
      .filter((l) => l.startsWith('{"_aws"'))
      .map((l) => JSON.parse(l) as Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } });
    const find = (metric: string) => emf.find((l) => metric in l);
    expect(find('Jobs')).toMatchObject({ kind: 'user.lookup', outcome: 'answered', Jobs: 1 });
    expect(find('JobDuration')).toMatchObject({ kind: 'user.lookup', JobDuration: expect.any(Number) });
    expect(find('VendorRequests')).toMatchObject({ vendor: 'idmelon', VendorRequests: expect.any(Number) });
    for (const line of emf)
      expect(line._aws.CloudWatchMetrics).toEqual([expect.objectContaining({ Namespace: 'Keywarden' })]);
    // Published once, at the end: nothing is left for the next invocation to write.
    const later = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await handler({ Records: [] });
    const after = later.mock.calls.map((c) => String(c[0])).join('');
    later.mockRestore();
    expect(after).not.toContain('"_aws"');
  });
});
