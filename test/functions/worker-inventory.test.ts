import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type IdmelonSandbox, startIdmelonSandbox } from '../../sandbox/idmelon/index.js';
import { InventoryTable } from '../../src/store/inventory.js';
import { documentClient } from '../../src/store/table.js';
import { awsEndpointTable } from '../helpers/dynamo.js';
import { FakeSlack } from '../helpers/fake-slack.js';

const record = (body: string, id: string): SQSRecord => ({ messageId: id, body }) as SQSRecord;

/**
 * The inventory on Lambda: the message EventBridge Scheduler sends to the job queue (infra/resources.yml) runs in the
 * worker, whose range jobs go back through SQS (mocked: it cannot run here) and are delivered to the worker again,
 * until the generation is published in the table (dynalite, over the AWS endpoint URL the functions read).
 */
describe('functions/worker: the inventory’s scheduled sync', () => {
  const sm = mockClient(SecretsManagerClient);
  const sqs = mockClient(SQSClient);
  const slack = new FakeSlack();
  let sandbox: IdmelonSandbox;
  let db: Awaited<ReturnType<typeof awsEndpointTable>>;
  let handler: (e: SQSEvent) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;

  beforeAll(async () => {
    await slack.start();
    sandbox = await startIdmelonSandbox({ users: 120, keys: 400, logs: 50 });
    db = await awsEndpointTable();
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      KEYWARDEN_SECRET_ID: 'keywarden/test',
      KEYWARDEN_TABLE: db.table,
      KEYWARDEN_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/keywarden-jobs',
      KEYWARDEN_INVENTORY_RATE: '100',
      KEYWARDEN_LOG_LEVEL: 'error',
      SLACK_API_URL: slack.apiUrl,
    });
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({
        SLACK_SIGNING_SECRET: 's'.repeat(32),
        SLACK_BOT_TOKEN: 'xoxb-worker-inventory-0123',
        IDMELON_BASE_URL: sandbox.url,
        IDMELON_API_KEY: sandbox.apiKey,
      }),
    });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    ({ handler } = await import('../../functions/worker.js'));
  });
  afterAll(async () => {
    await sandbox.close();
    await db.close();
    await slack.close();
  });

  it('plans ranges from the scheduled message, runs each delivered range, and publishes the whole inventory', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      // Exactly what Scheduler sends, its scheduled time in the job's id.
      const scheduled = '{"kind":"inventory.sync","id":"inventory.sync:2026-11-26T02:00:00Z"}';
      expect((await handler({ Records: [record(scheduled, 'scheduled')] })).batchItemFailures).toEqual([]);
      let delivered = 0;
      // Deliver what the worker queued until it queues nothing more.
      for (let round = 0; round < 10; round++) {
        const queued = sqs.commandCalls(SendMessageCommand).slice(delivered);
        if (queued.length === 0) break;
        delivered += queued.length;
        const records = queued.map((c, i) => record(String(c.args[0].input.MessageBody), `r${round}-${i}`));
        expect((await handler({ Records: records })).batchItemFailures).toEqual([]);
      }
      const kinds = sqs
        .commandCalls(SendMessageCommand)
        .map((c) => JSON.parse(String(c.args[0].input.MessageBody)).kind);
      expect(new Set(kinds)).toEqual(new Set(['inventory.range']));

      const store = new InventoryTable(
        documentClient(
          new DynamoDBClient({
            endpoint: db.endpoint,
            region: 'eu-west-1',
            credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
          }),
        ),
        { table: db.table },
      );
      const status = await store.status('idmelon');
      const active = sandbox.workspace.keys.filter((k) => k.status === 20);
      expect(status.current).toMatchObject({ keys: active.length, people: sandbox.workspace.users.length });
      expect(status.building).toBeUndefined();
      const owner = active[0]?.ownerId as string;
      expect((await store.keysOf('idmelon', owner)).map((k) => k.id).sort()).toEqual(
        active
          .filter((k) => k.ownerId === owner)
          .map((k) => k._id)
          .sort(),
      );
    } finally {
      stderr.mockRestore();
    }
  });
});
