import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBot, startLocalBot } from '../../src/local/bot.js';
import { startLocalDynamo } from '../../src/local/dynamo.js';
import { jsonLogger } from '../../src/log.js';
import { documentClient } from '../../src/store/table.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { post, signedHeaders, slashCommandBody } from '../helpers/slack-requests.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** A child Node process running a fixture through tsx, its stdout read line by line. */
function child(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fixture(script), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let waiter: { test: () => boolean; resolve: () => void } | undefined;
  let partial = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    if (waiter?.test()) waiter.resolve();
  });
  // Kept for the failure message only: the child's log lines are not the test's output.
  proc.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    proc.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  return {
    lines,
    /** Resolves once `test` holds for the lines read so far; rejects if the child exits first. */
    until(test: () => boolean): Promise<void> {
      if (test()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        waiter = { test, resolve };
        void exited.then((how) =>
          reject(new Error(`the child exited (${String(how)}) first:\n${stderr.slice(-4000)}`)),
        );
      });
    },
    async kill(): Promise<NodeJS.Signals | number | null> {
      proc.kill('SIGKILL');
      return exited;
    },
  };
}

describe('a killed process (SIGKILL) loses nothing it acknowledged', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keywarden-restart-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every write dynalite acknowledged before its process was killed', async () => {
    const path = join(dir, 'writes');
    const table = 'keywarden-durability';
    const writer = child('dynamo-writer.ts', [path, table]);
    await writer.until(() => writer.lines.length > 200);
    expect(await writer.kill()).toBe('SIGKILL');
    const [socketPath, ...writes] = writer.lines;
    // Every line read was printed after dynalite answered the PutItem; more may have been written unreported.
    const acknowledged = writes.map(Number);
    expect(acknowledged.length).toBeGreaterThanOrEqual(200);

    const dynamo = await startLocalDynamo({ table, path });
    // The killed process's socket directory, left in the data directory, went with the restart.
    await expect(stat(dirname(socketPath ?? ''))).rejects.toMatchObject({ code: 'ENOENT' });
    const db = documentClient(dynamo.client);
    const missing: number[] = [];
    for (const n of acknowledged) {
      const got = await db.send(new GetCommand({ TableName: table, Key: { pk: `W#${n}`, sk: 'W' } }));
      if (got.Item?.n !== n) missing.push(n);
    }
    await dynamo.close();
    expect(missing).toEqual([]);
  });

  describe('the local bot', () => {
    const SIGNING_SECRET = 'restart-signing-secret-0123456789abcdef';
    const JOBS = 6;
    const slack = new FakeSlack();
    /** IDmelon as the killed bot sees it: requests arrive and are never answered, so its scans hang mid-way. */
    let hanging: Server;
    const inFlight: IncomingMessage[] = [];
    let onRequest: (() => void) | undefined;

    beforeAll(async () => {
      await slack.start();
      hanging = createServer((req) => {
        inFlight.push(req);
        onRequest?.();
      });
      await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
      await slack.close();
    });

    const env = {
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      // The fake Slack's origin (read once it has started): response_urls on it are Slack's to this bot.
      get SLACK_API_URL() {
        return slack.apiUrl;
      },
      // One admin each: the work limits would coalesce one person's identical scans into one job.
      KEYWARDEN_ADMINS: Array.from({ length: JOBS }, (_, n) => `UADMIN${n}`).join(','),
      KEYWARDEN_TIMEZONE: 'UTC',
      KEYWARDEN_LOG_LEVEL: 'error',
    };
    const restart = (dataDir: string) =>
      startLocalBot({
        env,
        port: 0,
        dataDir,
        vendors: ['idmelon'],
        progressAfterMs: 600_000,
        logger: jsonLogger({ level: 'error' }),
      });

    it('answers every job it acknowledged as queued, those running when it was killed included, each once', async () => {
      const dataDir = join(dir, 'bot');
      const first = child('local-bot.ts', [dataDir], {
        ...env,
        IDMELON_API_KEY: 'hanging-idmelon-key-0123456789',
        IDMELON_BASE_URL: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`,
        KEYWARDEN_HTTP_TIMEOUT_MS: '120000',
        KEYWARDEN_LOG_LEVEL: 'info',
      });
      await first.until(() => first.lines.length > 0);
      const { url, storeSocket } = JSON.parse(first.lines[0] ?? '{}') as { url: string; storeSocket: string };

      const responseUrls: string[] = [];
      for (let n = 0; n < JOBS; n++) {
        const responseUrl = slack.responseUrl(`restart-${n}`);
        const body = slashCommandBody({ user_id: `UADMIN${n}`, text: 'stale 90', response_url: responseUrl });
        const res = await post(url, body, signedHeaders(SIGNING_SECRET, body));
        expect(res.status).toBe(200);
        expect(JSON.stringify(res.json)).toContain('Scanning for keys unused in 90+ days');
        responseUrls.push(responseUrl);
      }
      // Four scans (the queue's concurrency) are waiting on IDmelon; the other two are still queued.
      await new Promise<void>((resolve) => {
        onRequest = () => {
          if (inFlight.length >= 4) resolve();
        };
        onRequest();
      });
      expect(await first.kill()).toBe('SIGKILL');
      for (const u of responseUrls) expect(slack.postsTo(u)).toEqual([]);

      // Started again on the same data, with the embedded IDmelon sandbox answering this time.
      let bot: LocalBot = await restart(dataDir);
      await expect(stat(dirname(storeSocket))).rejects.toMatchObject({ code: 'ENOENT' });
      expect(bot.notes).toContainEqual(
        expect.stringMatching(new RegExp(`^${JOBS} job\\(s\\) still queued or running`)),
      );
      await bot.queue.idle();
      for (const u of responseUrls) {
        const posts = slack.postsTo(u);
        expect(posts, u).toHaveLength(1);
        expect(JSON.stringify(posts[0]?.blocks)).toContain('Keys unused for 90+ days');
      }
      expect(await bot.queue.deadLetters()).toEqual([]);
      await bot.close();

      // And once more: nothing is left to deliver, nothing is answered twice.
      bot = await restart(dataDir);
      await bot.queue.idle();
      await bot.close();
      for (const u of responseUrls) expect(slack.postsTo(u)).toHaveLength(1);
    });
  });
});
