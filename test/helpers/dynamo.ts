import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { type LocalDynamo, startLocalDynamo } from '../../src/local/dynamo.js';
import { ensureTable } from '../../src/store/table.js';

let n = 0;
/** A fresh table on an in-memory dynalite: the real store code, no AWS. Reached over a private unix socket. */
export async function localTable(): Promise<LocalDynamo & { table: string }> {
  const table = `keywarden-test-${++n}`;
  const dynamo = await startLocalDynamo({ table });
  return { ...dynamo, table };
}

/**
 * A fresh table behind a loopback URL, for tests of the Lambda entry points: they build their own client from
 * AWS_ENDPOINT_URL_DYNAMODB as on AWS, and an endpoint URL cannot name a unix socket. Tests only; the local bot
 * never listens on TCP for its store.
 */
export async function awsEndpointTable(): Promise<{
  endpoint: string;
  table: string;
  close(): Promise<void>;
}> {
  const table = `keywarden-test-${++n}`;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await ensureTable(client, table);
  client.destroy();
  return {
    endpoint,
    table,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
