import { type LocalDynamo, startLocalDynamo } from '../../src/local/dynamo.js';

let n = 0;
/** A fresh table on an in-memory dynalite: the real store code, no AWS. */
export async function localTable(): Promise<LocalDynamo & { table: string }> {
  const table = `keywarden-test-${++n}`;
  const dynamo = await startLocalDynamo({ table });
  return { ...dynamo, table };
}
