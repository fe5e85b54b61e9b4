import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userMessage } from '../../src/http/errors.js';
import { type LocalBot, startLocalBot } from '../../src/local/bot.js';
import { LocalStoreInUseError, startLocalDynamo } from '../../src/local/dynamo.js';
import { jsonLogger } from '../../src/log.js';
import { documentClient } from '../../src/store/table.js';

const TABLE = 'keywarden-local-security';
const mode = async (path: string) => (await stat(path)).mode & 0o777;

/**
 * The TCP ports this process listens on, read from the kernel: every socket among our open files, matched against
 * the listening sockets in /proc/net/tcp{,6}. Linux only, like the machines these tests run on.
 */
async function listeningPorts(): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m?.[1]) inodes.add(m[1]);
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const cols = line.trim().split(/\s+/);
      // st 0A is LISTEN; column 9 is the socket's inode.
      if (cols[3] === '0A' && cols[9] && inodes.has(cols[9])) {
        ports.push(Number.parseInt(cols[1]?.split(':')[1] ?? '', 16));
      }
    }
  }
  return ports.sort((a, b) => a - b);
}

describe('the local store is reachable only by the bot', () => {
  let bot: LocalBot;

  beforeAll(async () => {
    bot = await startLocalBot({
      env: { SLACK_SIGNING_SECRET: 'local-store-signing-secret-0123456789', KEYWARDEN_TABLE: TABLE },
      port: 0,
      dataDir: null,
      logger: jsonLogger({ level: 'error' }),
    });
  });
  afterAll(async () => {
    await bot.close();
  });

  it('listens on a unix socket that only this user may connect to, in a directory only this user may enter', async () => {
    expect((await stat(bot.storeSocket)).isSocket()).toBe(true);
    expect(await mode(bot.storeSocket)).toBe(0o600);
    expect(await mode(dirname(bot.storeSocket))).toBe(0o700);
  });

  it('opens no TCP port besides the Slack endpoint and the vendor sandboxes it announces', async () => {
    const announced = [bot.url, ...Object.values(bot.sandboxes).map((s) => s?.url)]
      .filter((u): u is string => typeof u === 'string')
      .map((u) => Number(new URL(u).port));
    expect(await listeningPorts()).toEqual([...announced].sort((a, b) => a - b));
  });

  it('does not answer DynamoDB calls on any TCP port it exposes, whatever the credentials', async () => {
    const urls = [bot.url, ...Object.values(bot.sandboxes).map((s) => s?.url)].filter(
      (u): u is string => typeof u === 'string',
    );
    expect(urls.length).toBeGreaterThan(1);
    for (const endpoint of urls) {
      // What another local process would try: any endpoint, made-up credentials, the table's name is no secret.
      const intruder = new DynamoDBClient({
        endpoint,
        region: 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
      });
      await expect(intruder.send(new ListTablesCommand({})), endpoint).rejects.toThrow();
      intruder.destroy();
    }
  });
});

describe('startLocalDynamo', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keywarden-dynamo-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps its data in a directory only this user may read, and serves it again after a restart', async () => {
    const path = join(dir, 'dynamodb');
    const first = await startLocalDynamo({ table: TABLE, path });
    await documentClient(first.client).send(
      new PutCommand({ TableName: TABLE, Item: { pk: 'P', sk: 'S', kept: true } }),
    );
    await first.close();
    expect(await mode(path)).toBe(0o700);

    const second = await startLocalDynamo({ table: TABLE, path });
    const got = await documentClient(second.client).send(
      new GetCommand({ TableName: TABLE, Key: { pk: 'P', sk: 'S' } }),
    );
    await second.close();
    expect(got.Item).toEqual({ pk: 'P', sk: 'S', kept: true });
  });

  it('refuses a second store on a data directory in use, saying so, and takes it once the first has closed', async () => {
    const path = join(dir, 'shared');
    const first = await startLocalDynamo({ table: TABLE, path });
    const refused: unknown = await startLocalDynamo({ table: TABLE, path }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(LocalStoreInUseError);
    expect(userMessage(refused)).toBe(
      `another Keywarden is already using ${path} (its data can have one process at a time). Stop that one first.`,
    );
    await first.close();
    const third = await startLocalDynamo({ table: TABLE, path });
    await third.close();
  });

  it('makes its socket directory inside the data directory, and removes the ones a killed process left there', async () => {
    const path = join(dir, 'leftovers');
    const first = await startLocalDynamo({ table: TABLE, path });
    await first.close();
    // What a process killed with SIGKILL leaves: its socket directory, with the socket file still in it.
    const stale = join(path, 'keywarden-db-kiLLed');
    await mkdir(stale, { mode: 0o700 });
    await writeFile(join(stale, 'dynamodb.sock'), '');

    const db = await startLocalDynamo({ table: TABLE, path });
    expect(dirname(dirname(db.socketPath))).toBe(path);
    await expect(stat(stale)).rejects.toMatchObject({ code: 'ENOENT' });
    await db.close();
    expect((await readdir(path)).filter((f) => f.startsWith('keywarden-db-'))).toEqual([]);
  });

  it('removes its socket and the socket directory when closed', async () => {
    const db = await startLocalDynamo({ table: TABLE });
    await db.close();
    await expect(stat(dirname(db.socketPath))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
