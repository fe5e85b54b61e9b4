import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretRedactor } from '../../src/log.js';
import { RequestStore, STORED_ERROR_MAX } from '../../src/store/requests.js';
import { documentClient } from '../../src/store/table.js';
import { localTable } from '../helpers/dynamo.js';

// A Slack token the runtime holds but no vendor was sent: only the runtime redactor knows it.
const TOKEN = 'xoxb-stored-error-0123456789';

describe('request store: error text is redacted and bounded before it is written', () => {
  let db: Awaited<ReturnType<typeof localTable>>;
  let store: RequestStore;
  const redactor = new SecretRedactor();
  redactor.add(TOKEN);

  beforeAll(async () => {
    db = await localTable();
    store = new RequestStore(documentClient(db.client), { table: db.table, redactor });
  });
  afterAll(async () => {
    await db.close();
  });

  /** The item as DynamoDB holds it, read past the store. */
  async function item(pk: string, sk: string) {
    const res = await documentClient(db.client).send(
      new GetCommand({ TableName: db.table, Key: { pk, sk }, ConsistentRead: true }),
    );
    return res.Item ?? {};
  }

  it("stores a key's detail and the request's lastError without the secret, at most STORED_ERROR_MAX long", async () => {
    const key = { vendor: 'idmelon' as const, id: 'k1', name: 'Badge', type: 'badge', lastUsedAt: null };
    const request = await store.create({
      id: 'R-REDACT01',
      requester: 'U1',
      validUntil: '2099-01-01T00:00:00.000Z',
      dryRun: false,
      keys: [key],
    });
    await store.approve(request.id, 'U2');
    const claim = await store.claimExecution(request.id);
    if (!claim.ok) throw new Error('claim refused');
    const text = `IDmelon rejected the request: ${TOKEN} ${'x'.repeat(5_000)}`;

    await store.recordOutcome(request.id, claim.request.attempt, key, 'failed', text);
    expect(await store.release(request.id, claim.request.attempt, text)).toBe(true);

    const stored = [
      String((await item('REQ#R-REDACT01', 'KEY#idmelon#k1')).detail),
      String((await item('REQ#R-REDACT01', 'REQ')).lastError),
    ];
    for (const s of stored) {
      expect(s).toMatch(/^IDmelon rejected the request: \[redacted\] x+…$/);
      expect(s.length).toBeLessThanOrEqual(STORED_ERROR_MAX);
    }
  });
});
