import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Keywarden keeps everything in one DynamoDB table (declared in serverless.yml on AWS; created on dynalite
 * locally). Key design, one item collection per thing:
 *
 * | item                  | pk               | sk        | notes                                         |
 * |-----------------------|------------------|-----------|-----------------------------------------------|
 * | a job's ledger entry  | `JOB#<job id>`   | `JOB`     | claims a Slack job so a redelivery answers once |
 * | revocation requests   | `REQ#<id>`       | see requests.ts                                           |
 * | the work slots        | `LIMITS`         | `WORK`    | caps on queued work (store/work-limits.ts)     |
 * | the Slack directory   | `DIRECTORY`, `DIRECTORY#<snapshot>` | see directory.ts                       |
 * | the inventory         | `INV#…`, `INVK#…`, `INVO#…`, `INVI#…`, `INVP#…`, `INVB#…`, `INVBUDGET#…` | see inventory.ts |
 *
 * Every item carries `expiresAt` (epoch seconds), the table's TTL attribute. One sparse global secondary index,
 * `gsi1` (`gsi1pk`, `gsi1sk`), holds only items that set those attributes: open revocation requests.
 */
export const PK = 'pk';
export const SK = 'sk';
export const TTL_ATTRIBUTE = 'expiresAt';
export const GSI1 = 'gsi1';

const gsi1 = {
  IndexName: GSI1,
  KeySchema: [
    { AttributeName: 'gsi1pk', KeyType: 'HASH' as const },
    { AttributeName: 'gsi1sk', KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'ALL' as const },
  ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
};
const gsiAttributes = [
  { AttributeName: 'gsi1pk', AttributeType: 'S' as const },
  { AttributeName: 'gsi1sk', AttributeType: 'S' as const },
];

export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Creates the table when it does not exist (local runs and tests; on AWS, CloudFormation owns it). */
export async function ensureTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    // A table kept from an older local run may lack the index; add it rather than ask anyone to delete data.
    if (!Table?.GlobalSecondaryIndexes?.some((i) => i.IndexName === GSI1)) {
      await client.send(
        new UpdateTableCommand({
          TableName: table,
          AttributeDefinitions: gsiAttributes,
          GlobalSecondaryIndexUpdates: [{ Create: gsi1 }],
        }),
      );
    }
    return;
  } catch (err) {
    if ((err as Error).name !== 'ResourceNotFoundException') throw err;
  }
  await client.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: PK, AttributeType: 'S' },
        { AttributeName: SK, AttributeType: 'S' },
        ...gsiAttributes,
      ],
      KeySchema: [
        { AttributeName: PK, KeyType: 'HASH' },
        { AttributeName: SK, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [gsi1],
      // dynalite predates on-demand billing; throughput numbers are ignored by it and never used on AWS.
      ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
    }),
  );
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch {
    // dynalite does not implement TTL; expiry only matters on AWS, where serverless.yml enables it.
  }
}

export const epochSeconds = (ms: number) => Math.floor(ms / 1000);

/** DynamoDB refused a conditional write: the state was not what the write required. */
export function conditionFailed(err: unknown): boolean {
  return (err as Error).name === 'ConditionalCheckFailedException';
}

/** An item without the table's own attributes (keys, TTL, index keys): the record it stores. */
export function recordOf<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, expiresAt: _ttl, gsi1pk: _g, gsi1sk: _gs, ...rest } = item;
  return rest as T;
}
