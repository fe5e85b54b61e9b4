import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdmelonSandbox, startIdmelonSandbox } from '../../sandbox/idmelon/index.js';
import type { Block } from '../../src/blocks/limits.js';
import { DAY_MS } from '../../src/domain/clock.js';
import { type LocalBot, startLocalBot } from '../../src/local/bot.js';
import { jsonLogger } from '../../src/log.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import {
  type Button,
  buttons,
  post,
  pressAndSubmit,
  pressBody,
  signedHeaders,
  slashCommandBody,
} from '../helpers/slack-requests.js';

const SECRET = 'crash-restart-signing-secret-0123';
const text = (v: unknown) => JSON.stringify(v);
const BIN = resolve(__dirname, '../../bin/keywarden.js');

/**
 * The worker dies mid-revocation: `npm start` (bin/keywarden.js serve) is killed with SIGKILL after IDmelon has
 * deleted some batches and while it is deleting the next, whose answer never arrives. A new process on the same data
 * directory, once the dead run's lease has lapsed, finishes the request (through the redelivered approve job or the
 * sweep): every key revoked exactly once, the keys
 * the dead run deleted reported as deleted, and the approval message and audit line say so.
 */
describe('a revocation interrupted by a killed process is finished after restart', () => {
  const slack = new FakeSlack();
  let sandbox: IdmelonSandbox;
  let dir: string;
  let child: ChildProcess | undefined;
  let bot: LocalBot | undefined;

  const env = () => ({
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: 'xoxb-crash-restart-0123',
    SLACK_API_URL: slack.apiUrl,
    KEYWARDEN_ADMINS: 'UADMIN1,UADMIN2',
    KEYWARDEN_APPROVERS: 'UADMIN1,UADMIN2',
    KEYWARDEN_APPROVALS_CHANNEL: 'CAPPROVALS',
    KEYWARDEN_AUDIT_CHANNEL: 'CAUDIT',
    IDMELON_BASE_URL: sandbox.url,
    IDMELON_API_KEY: sandbox.apiKey,
  });

  beforeAll(async () => {
    await slack.start();
    sandbox = await startIdmelonSandbox({ now: new Date(), users: 1000, keys: 3000, logs: 0 });
    dir = await mkdtemp(join(tmpdir(), 'keywarden-crash-'));
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await bot?.close();
    await sandbox.close();
    await slack.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts `keywarden serve` in `dir` and resolves with its URL. */
  function startChild(): Promise<string> {
    const proc = spawn(process.execPath, [BIN, 'serve'], {
      cwd: dir,
      env: { PATH: process.env.PATH, PORT: '0', ...env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    proc.stderr?.resume();
    return new Promise((resolveUrl, reject) => {
      let out = '';
      proc.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\/slack\/events/.exec(out);
        if (m?.[1]) resolveUrl(m[1]);
      });
      proc.once('exit', (code) => reject(new Error(`keywarden serve exited early (${code}): ${out}`)));
    });
  }

  let trigger = 0;
  async function press(url: string, user: string, button: Button, channel: string) {
    const responseUrl = slack.responseUrl();
    const body = pressBody(user, button, channel, responseUrl, `crash-trigger-${++trigger}`);
    expect((await post(url, body, signedHeaders(SECRET, body))).status).toBe(200);
    return responseUrl;
  }

  it('finishes every key exactly once and reports the interrupted batch as deleted', async () => {
    const url = await startChild();

    // The oracle: every active IDmelon key idle for 90+ days (or never used), from the sandbox's own data.
    const cutoff = Date.now() - 90 * DAY_MS;
    const expected = sandbox.workspace.keys
      .filter((k) => k.status === 20 && (k.lastActivityAt === null || Date.parse(k.lastActivityAt) < cutoff))
      .map((k) => k._id)
      .sort();
    expect(expected.length).toBeGreaterThan(300);

    const listUrl = slack.responseUrl();
    const list = slashCommandBody({ command: '/keys', text: 'stale 90 idmelon', response_url: listUrl });
    expect((await post(url, list, signedHeaders(SECRET, list))).status).toBe(200);
    await slack.waitFor(() => slack.postsTo(listUrl).length > 0, 20_000, 'the stale list');
    const all = buttons(slack.postsTo(listUrl)[0]?.blocks as Block[]).find(
      (b) => b.action_id === 'revoke_stale',
    );
    if (!all) throw new Error('no "Request revocation of all" button');
    await pressAndSubmit({
      url,
      secret: SECRET,
      slack,
      user: 'UADMIN1',
      button: all,
      channel: 'C0ADMINS',
      triggerId: `crash-trigger-${++trigger}`,
      reason: 'every idle key goes before the audit',
    });
    await slack.waitFor(
      () => slack.callsOf('chat.postMessage').some((c) => c.args.channel === 'CAPPROVALS'),
      20_000,
      'the approval request',
    );
    const posted = slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'CAPPROVALS');
    const requestId = /R-[0-9A-Z]{8}/.exec(text(posted?.args.blocks))?.[0] as string;
    const approve = buttons(posted?.args.blocks as Block[]).find((b) => b.action_id === 'approval_approve');
    if (!approve) throw new Error('no Approve button');

    // The third bulk DELETE is carried out by IDmelon, but its answer never reaches the worker before it dies.
    let bulk = 0;
    sandbox.inject({
      fault: { kind: 'delayAnswer', ms: 60_000 },
      match: (req) => req.method === 'DELETE' && ++bulk === 3,
    });
    await press(url, 'UADMIN2', approve, 'CAPPROVALS');
    await waitUntil(
      () => bulk >= 3 && sandbox.routes.deletions.length >= 300,
      30_000,
      'three bulk deletions',
    );
    const killed = new Promise((r) => child?.once('exit', r));
    child?.kill('SIGKILL');
    await killed;
    child = undefined;
    sandbox.server.clearFaults();
    const deletedBeforeCrash = sandbox.routes.deletions.length;
    expect(deletedBeforeCrash).toBeLessThan(expected.length);

    // A new process on the same data, six minutes later: the dead run's 5-minute lease has lapsed.
    const later = { now: () => new Date(Date.now() + 6 * 60_000) };
    bot = await startLocalBot({
      env: env(),
      port: 0,
      dataDir: join(dir, '.keywarden', 'dynamodb'),
      clock: later,
      vendors: ['idmelon'],
      sweepEveryMs: 0,
      logger: jsonLogger({ level: 'debug' }),
    });
    // Two paths resume it, and whichever claims the execution first carries it on: the approve job the dead
    // process was running is delivered again (the local queue is durable), and the sweep finds the lapsed lease.
    await bot.sweep();
    await bot.queue.idle();

    // Exactly once: every expected key deleted, none twice.
    expect(sandbox.routes.deletions).toHaveLength(new Set(sandbox.routes.deletions).size);
    expect([...sandbox.routes.deletions].sort()).toEqual(expected);
    const final = slack
      .callsOf('chat.update')
      .filter((c) => text(c.args.blocks).includes(requestId))
      .at(-1);
    expect(text(final?.args.blocks)).toContain(`Done`);
    expect(text(final?.args.blocks)).toContain(`${expected.length} deleted`);
    const audit = slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'CAUDIT');
    expect(text(audit?.args)).toContain(`${requestId}`);
    expect(text(audit?.args)).toContain(`${expected.length} deleted`);
  }, 90_000);
});

async function waitUntil(test: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
