import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jsonLogger, SecretRedactor } from '../../src/log.js';
import type { SlackApi } from '../../src/slack/api.js';
import { webApiSlack } from '../../src/slack/web-api.js';
import { CachedSlackDirectory } from '../../src/store/directory.js';
import { documentClient, ensureTable } from '../../src/store/table.js';
import { localTable } from '../helpers/dynamo.js';
import { FakeSlack } from '../helpers/fake-slack.js';

const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const HOUR = 3_600_000;
const email = (i: number) => `person.${i}@example.com`;
const everyone = (n: number) => Array.from({ length: n }, (_, i) => email(i));

describe('the Slack directory (users.list cached in DynamoDB on dynalite)', () => {
  const slack = new FakeSlack();
  let db: Awaited<ReturnType<typeof localTable>>;
  let api: SlackApi;
  let table = '';
  let tables = 0;

  beforeAll(async () => {
    await Promise.all([slack.start(), localTable().then((d) => (db = d))]);
    api = webApiSlack({
      token: async () => 'xoxb-directory-0123456789',
      slackApiUrl: slack.apiUrl,
      logger: jsonLogger({ level: 'error' }),
      redactor: new SecretRedactor(),
    });
  });
  afterAll(async () => {
    await Promise.all([slack.close(), db.close()]);
  });
  beforeEach(async () => {
    slack.users.length = 0;
    slack.calls.length = 0;
    slack.clearFailures();
    table = `directory-${++tables}`;
    await ensureTable(db.client, table);
  });

  /** A directory over this test's table, as a process whose clock reads `at`. */
  const directory = (at = T0, ttlHours?: number) =>
    new CachedSlackDirectory(documentClient(db.client), api, {
      table,
      ...(ttlHours === undefined ? {} : { ttlHours }),
      clock: { now: () => new Date(at) },
    });
  const listCalls = () => slack.callsOf('users.list').length;

  it('resolves 10 000 people with 10 users.list calls of 1 000, then from memory', async () => {
    slack.seedUsers(10_000, email);
    const dir = directory();
    const found = await dir.usersByEmail(everyone(10_000));
    expect(found.size).toBe(10_000);
    expect(found.get(email(0))).toBe('U0000001');
    expect(found.get(email(9_999))).toBe('U0010000');
    expect(listCalls()).toBe(10);
    expect(new Set(slack.callsOf('users.list').map((c) => c.args.limit))).toEqual(new Set(['1000']));

    // The same instance asks nothing again, not even DynamoDB's copy.
    expect((await dir.usersByEmail([email(42)])).get(email(42))).toBe('U0000043');
    expect(listCalls()).toBe(10);
  });

  it('compares emails trimmed and lower-cased, and answers with the lower-cased email', async () => {
    slack.users.push({ id: 'UALICE', email: ' Alice.Smith@Example.COM ' });
    const found = await directory().usersByEmail(['ALICE.smith@example.com  ']);
    expect([...found]).toEqual([['alice.smith@example.com', 'UALICE']]);
  });

  it('answers a second instance over the same table from DynamoDB within the TTL: no Slack call', async () => {
    slack.seedUsers(2_500, email);
    await directory().usersByEmail([email(0)]);
    expect(listCalls()).toBe(3);

    const later = directory(T0 + 23 * HOUR);
    const found = await later.usersByEmail(everyone(2_500));
    expect(found.size).toBe(2_500);
    expect(listCalls()).toBe(3);
  });

  it('reads Slack again once the TTL has passed, and the new snapshot serves everyone after', async () => {
    slack.seedUsers(1_500, email);
    await directory().usersByEmail([email(0)]);
    expect(listCalls()).toBe(2);
    slack.users.push({ id: 'UNEWHIRE', email: 'new.hire@example.com' });

    // Within the TTL the snapshot stands: the new hire is not in it yet.
    expect((await directory(T0 + 24 * HOUR - 1).usersByEmail(['new.hire@example.com'])).size).toBe(0);
    expect(listCalls()).toBe(2);

    const after = T0 + 24 * HOUR;
    expect((await directory(after).usersByEmail(['new.hire@example.com'])).get('new.hire@example.com')).toBe(
      'UNEWHIRE',
    );
    expect(listCalls()).toBe(4);
    expect((await directory(after + HOUR).usersByEmail(['new.hire@example.com'])).size).toBe(1);
    expect(listCalls()).toBe(4);
  });

  it('keeps one instance to its TTL too, and honours a shorter one', async () => {
    slack.seedUsers(10, email);
    let now = T0;
    const dir = new CachedSlackDirectory(documentClient(db.client), api, {
      table,
      ttlHours: 1,
      clock: { now: () => new Date(now) },
    });
    await dir.usersByEmail([email(1)]);
    now += HOUR - 1;
    await dir.usersByEmail([email(1)]);
    expect(listCalls()).toBe(1);
    now += 1;
    await dir.usersByEmail([email(1)]);
    expect(listCalls()).toBe(2);
  });

  it('leaves out deactivated accounts and bots, and an email with no Slack account', async () => {
    slack.users.push(
      { id: 'UALICE', email: 'alice@example.com' },
      { id: 'UGONE', email: 'gone@example.com', deleted: true },
      { id: 'UBOT', email: 'ci-bot@example.com', isBot: true },
      { id: 'USLACKBOT' },
      { id: 'UNOMAIL' },
    );
    const found = await directory().usersByEmail([
      'alice@example.com',
      'gone@example.com',
      'ci-bot@example.com',
      'contractor@elsewhere.example',
      '',
    ]);
    expect([...found]).toEqual([['alice@example.com', 'UALICE']]);
  });

  it('waits out a 429 (Retry-After: 1) on users.list and completes the read', async () => {
    slack.seedUsers(3_000, email);
    slack.fail('users.list', 'ratelimited', 1, 1);
    const found = await directory().usersByEmail(everyone(3_000));
    expect(found.size).toBe(3_000);
    // Three pages, one of them asked twice.
    expect(listCalls()).toBe(4);
    const cursors = slack.callsOf('users.list').map((c) => c.args.cursor ?? '');
    expect(new Set(cursors).size).toBe(3);
  });

  it('shares one read among concurrent callers in a process', async () => {
    slack.seedUsers(2_000, email);
    const dir = directory();
    const [a, b] = await Promise.all([dir.usersByEmail([email(1)]), dir.usersByEmail([email(1_999)])]);
    expect(a.get(email(1))).toBe('U0000002');
    expect(b.get(email(1_999))).toBe('U0002000');
    expect(listCalls()).toBe(2);
  });

  it('stores a snapshot in items well under 400 KB, long addresses included', async () => {
    const long = (i: number) => `${'x'.repeat(230)}.${i}@example.com`;
    slack.seedUsers(3_000, long);
    expect((await directory().usersByEmail([long(2_999)])).size).toBe(1);
    const { Items = [] } = await documentClient(db.client).send(new ScanCommand({ TableName: table }));
    const chunks = Items.filter((i) => String(i.pk).startsWith('DIRECTORY#'));
    expect(chunks.length).toBeGreaterThan(2);
    for (const item of Items) expect(Buffer.byteLength(JSON.stringify(item))).toBeLessThan(400_000);
    // And another process reads them back whole.
    expect((await directory(T0 + 1).usersByEmail([long(0), long(2_999)])).size).toBe(2);
    expect(listCalls()).toBe(3);
  });

  it('does not use a snapshot missing a chunk: it reads Slack again', async () => {
    slack.seedUsers(4_500, email);
    await directory().usersByEmail([email(0)]);
    expect(listCalls()).toBe(5);
    const docs = documentClient(db.client);
    const { Items = [] } = await docs.send(new ScanCommand({ TableName: table }));
    const chunk = Items.find((i) => String(i.pk).startsWith('DIRECTORY#'));
    await docs.send(new DeleteCommand({ TableName: table, Key: { pk: chunk?.pk, sk: chunk?.sk } }));

    expect((await directory(T0 + 1).usersByEmail(everyone(4_500))).size).toBe(4_500);
    expect(listCalls()).toBe(10);
  });

  it('asks users.info for emailOf every time, never the cache', async () => {
    slack.users.push({ id: 'UALICE', email: 'Alice@Example.com' }, { id: 'UNOMAIL' });
    const dir = directory();
    await dir.usersByEmail(['alice@example.com']);
    expect(await dir.emailOf('UALICE')).toBe('alice@example.com');
    const alice = slack.users[0];
    if (alice) alice.email = 'alice.renamed@example.com';
    expect(await dir.emailOf('UALICE')).toBe('alice.renamed@example.com');
    expect(await dir.emailOf('UNOMAIL')).toBeUndefined();
    expect(slack.callsOf('users.info').map((c) => c.args.user)).toEqual(['UALICE', 'UALICE', 'UNOMAIL']);
    expect(listCalls()).toBe(1);
  });
});
