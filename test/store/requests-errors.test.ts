import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { decide } from '../../src/services/revocation.js';
import { RequestStore } from '../../src/store/requests.js';

/** Throttling and error paths DynamoDB Local cannot produce on demand. */
describe('request store under DynamoDB errors', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const store = () =>
    new RequestStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), {
      table: 't',
    });
  beforeEach(() => {
    ddb.reset();
    // create() looks for a request with the same id first (a policy run's ids are chosen, and may exist).
    ddb.on(GetCommand).resolves({});
  });

  const input = {
    id: 'R-0000TEST',
    requester: 'U1',
    validUntil: '2099-01-01T00:00:00.000Z',
    dryRun: false,
    keys: Array.from({ length: 30 }, (_, i) => ({
      vendor: 'idmelon' as const,
      id: `k${i}`,
      name: 'k',
      type: 'phone',
      lastUsedAt: null,
    })),
  };

  it('sends keys that BatchWrite left unprocessed again before writing the request', async () => {
    let first = true;
    ddb.on(BatchWriteCommand).callsFake((cmd: { RequestItems: Record<string, unknown[]> }) => {
      const items = cmd.RequestItems.t ?? [];
      if (first && items.length === 25) {
        first = false;
        return { UnprocessedItems: { t: items.slice(0, 5) } };
      }
      return { UnprocessedItems: {} };
    });
    ddb.on(PutCommand).resolves({});
    const request = await store().create(input);
    expect(request.keyCount).toBe(30);
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 3);
    expect(ddb).toReceiveCommandTimes(PutCommand, 1);
  });

  it('never writes the request when its keys could not be stored', async () => {
    ddb
      .on(BatchWriteCommand)
      .rejects(
        Object.assign(new Error('Throughput exceeded'), { name: 'ProvisionedThroughputExceededException' }),
      );
    await expect(store().create(input)).rejects.toThrow('Throughput exceeded');
    expect(ddb).toReceiveCommandTimes(PutCommand, 0);
  });

  it('surfaces throttling on approval as an error, not as "already decided"', async () => {
    ddb.on(UpdateCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(decide(store(), 'R-0000TEST', 'U2', 'approve')).rejects.toThrow('Rate exceeded');
  });
});
