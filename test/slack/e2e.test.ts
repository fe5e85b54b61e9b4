import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateWorkspace } from '../../sandbox/idmelon/workspace.js';
import { type Block, blockLimitViolations } from '../../src/blocks/limits.js';
import { DAY_MS } from '../../src/domain/clock.js';
import { type LocalBot, startLocalBot } from '../../src/local/bot.js';
import { jsonLogger } from '../../src/log.js';
import { signSlackRequest } from '../../src/slack/verify.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { clock, NOW } from '../helpers/idmelon.js';
import { blockActionBody, post, signedHeaders, slashCommandBody } from '../helpers/slack-requests.js';

const SIGNING_SECRET = 'e2e-signing-secret-0123456789abcdef';
const BOT_TOKEN = 'xoxb-e2e-bot-token-0123456789';

const text = (blocks: unknown): string => JSON.stringify(blocks);

describe('Slack slash commands end to end (local server, fake Slack, IDmelon sandbox)', () => {
  const slack = new FakeSlack();
  let bot: LocalBot;
  const logs: string[] = [];

  beforeAll(async () => {
    await slack.start();
    slack.groups.set('SADMINS', ['UGROUPADMIN']);
    bot = await startLocalBot({
      env: {
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_API_URL: slack.apiUrl,
        KEYWARDEN_ADMINS: 'UADMIN1',
        KEYWARDEN_ADMIN_GROUP: 'SADMINS',
        KEYWARDEN_TIMEZONE: 'UTC',
      },
      port: 0,
      dataDir: null,
      clock,
      vendors: ['idmelon'],
      // Every log line goes to stderr too, where the suite's capture checks it for secrets.
      logger: jsonLogger({
        level: 'debug',
        write: (l) => {
          logs.push(l);
          process.stderr.write(`${l}\n`);
        },
      }),
    });
  });
  afterAll(async () => {
    await bot.close();
    await slack.close();
  });
  beforeEach(() => {
    logs.length = 0;
  });
  // A job gives its work slot back just after it answers; the next test's identical scan must not find it running.
  afterEach(() => bot.queue.idle());

  async function command(fields: Record<string, string>) {
    const responseUrl = slack.responseUrl();
    const body = slashCommandBody({ response_url: responseUrl, ...fields });
    const res = await post(bot.url, body, signedHeaders(SIGNING_SECRET, body));
    return { res, responseUrl };
  }

  it('never posts to a response_url that is not Slack’s, and answers by ephemeral message instead', async () => {
    // An attacker's server on loopback: a forged-looking but validly signed payload points response_url at it.
    let stolen = 0;
    const attacker = createServer((_req, res) => {
      stolen++;
      res.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', () => r()));
    const steal = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/steal`;
    try {
      const before = slack.callsOf('chat.postEphemeral').length;
      const body = slashCommandBody({
        command: '/user',
        text: 'lookup alice@acme.example',
        response_url: steal,
      });
      expect((await post(bot.url, body, signedHeaders(SIGNING_SECRET, body))).status).toBe(200);
      await slack.waitFor(
        () => slack.callsOf('chat.postEphemeral').length > before,
        10_000,
        'the ephemeral answer',
      );
      const answer = slack.callsOf('chat.postEphemeral').at(-1);
      expect(answer?.args).toMatchObject({ user: 'UADMIN1' });
      expect(text(answer?.args.blocks)).toContain('Alice Anders');
      await bot.queue.idle();
      expect(stolen).toBe(0);
      expect(logs.join('\n')).toContain('ignored a response_url that is not Slack’s');
      expect(logs.join('\n')).not.toContain('/steal');
    } finally {
      await new Promise((r) => attacker.close(r));
    }
  });

  it('/keys stale 90: acknowledges at once, then the result replaces it through response_url', async () => {
    const { res, responseUrl } = await command({ command: '/keys', text: 'stale 90' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ response_type: 'ephemeral' });
    expect(text(res.json?.blocks)).toContain('Scanning for keys unused in 90+ days');

    await slack.waitFor(() => slack.postsTo(responseUrl).length > 0);
    const [result] = slack.postsTo(responseUrl);
    const blocks = result?.blocks as Block[];
    expect(blockLimitViolations(blocks)).toEqual([]);
    expect(result).toMatchObject({ response_type: 'ephemeral', replace_original: true });
    expect(blocks[0]).toMatchObject({ type: 'header', text: { text: 'Keys unused for 90+ days' } });
    const rows = blocks
      .slice(blocks.findIndex((b) => b.type === 'divider') + 1)
      .filter((b) => b.type === 'section');
    expect(rows).toHaveLength(20);
    for (const row of rows)
      expect((row.text as { text: string }).text).toMatch(/ · last used (never|[\d,]+ days ago)/);
    expect(text(blocks)).toContain('"action_id":"stale_next"');
    expect(text(blocks)).toContain('"action_id":"stale_csv"');
  });

  it('sends the whole stale list as a CSV to the admin in a DM', async () => {
    const { responseUrl } = await command({ command: '/keys', text: 'stale 90' });
    await slack.waitFor(() => slack.postsTo(responseUrl).length > 0);
    const complete = slack.callsOf('files.completeUploadExternal').at(-1);
    expect(complete?.args.channel_id).toBe('DUADMIN1');
    const fileId = String((complete?.args.files as Array<{ id: string }> | undefined)?.[0]?.id);
    const csv = slack.uploads.get(fileId)?.content ?? '';
    // The bot's sandbox is generated from the same seed and clock: its data is the oracle.
    const cutoff = NOW.getTime() - 90 * DAY_MS;
    const want = generateWorkspace({ now: NOW }).keys.filter(
      (k) => k.status === 20 && (k.lastActivityAt === null || Date.parse(k.lastActivityAt) < cutoff),
    );
    expect(csv.trim().split('\n')).toHaveLength(want.length + 1);
    expect(csv.split('\n')[0]).toBe(
      'vendor,key_id,name,type,owner_email,owner_name,status,last_used_at,days_since_use,uses',
    );
    expect(text(slack.postsTo(responseUrl)[0]?.blocks)).toContain(
      'The full list went to you in a direct message as a CSV.',
    );
  });

  it('"Next 20" replaces the list with the next page', async () => {
    const responseUrl = slack.responseUrl();
    const body = blockActionBody({
      type: 'block_actions',
      user: { id: 'UADMIN1' },
      team: { id: 'T0001' },
      channel: { id: 'C0ADMINS' },
      container: { type: 'message', channel_id: 'C0ADMINS', is_ephemeral: true },
      response_url: responseUrl,
      trigger_id: 'trigger-next-1',
      actions: [
        {
          action_id: 'stale_next',
          block_id: 'stale_controls',
          value: JSON.stringify({ days: 90, offset: 20 }),
          type: 'button',
        },
      ],
    });
    const res = await post(bot.url, body, signedHeaders(SIGNING_SECRET, body));
    expect(res.status).toBe(200);
    await slack.waitFor(() => slack.postsTo(responseUrl).length > 0);
    const blocks = slack.postsTo(responseUrl)[0]?.blocks as Block[];
    expect(blockLimitViolations(blocks)).toEqual([]);
    expect(text(blocks)).toMatch(/Showing 21–40 of [\d,]+/);
    expect(text(blocks)).toContain('First page');
  });

  it('/user lookup: one person with keys, passkeys and groups', async () => {
    const { res, responseUrl } = await command({ command: '/user', text: 'lookup alice@acme.example' });
    expect(res.status).toBe(200);
    // The query shows literally; its dot is a one-dot leader so Slack does not make it a mailto link.
    expect(text(res.json?.blocks)).toContain('Looking up alice@acme\u2024example');
    await slack.waitFor(() => slack.postsTo(responseUrl).length > 0);
    const blocks = slack.postsTo(responseUrl)[0]?.blocks as Block[];
    expect(blockLimitViolations(blocks)).toEqual([]);
    expect(text(blocks)).toContain('Alice Anders');
    expect(text(blocks)).toContain('213 days ago');
    expect(text(blocks)).toContain('Passkeys');
  });

  it('decodes UTF-8 bodies (a name with ë) and accepts a charset-qualified content type', async () => {
    const { res, responseUrl } = await command({ command: '/user', text: 'lookup Zoë' });
    expect(res.status).toBe(200);
    await slack.waitFor(() => slack.postsTo(responseUrl).length > 0);
    expect(text(slack.postsTo(responseUrl)[0]?.blocks)).toMatch(/Zoë/);
  });

  it.each([
    ['stale abc', 'days must be a whole number from 1 to 3650 (got \\"abc\\")'],
    ['stale 0', 'days must be a whole number from 1 to 3650'],
    ['stale', 'days is missing'],
    ['stale 90 laptop', 'is neither a key type (phone, badge, desktop, passkey, api-key) nor a vendor'],
    ['rotate everything', 'unknown subcommand \\"rotate\\"'],
  ])('/keys %s: names the problem and shows the usage, and runs nothing', async (args, problem) => {
    const before = slack.responses.length;
    const { res } = await command({ command: '/keys', text: args });
    expect(res.status).toBe(200);
    expect(res.json?.response_type).toBe('ephemeral');
    expect(text(res.json?.blocks)).toContain(problem);
    expect(text(res.json?.blocks)).toContain('/keys stale &lt;days&gt;');
    await bot.queue.idle();
    expect(slack.responses.length).toBe(before);
  });

  it('/keys with no arguments, and /user help, show help', async () => {
    const keys = await command({ command: '/keys', text: '' });
    expect(text(keys.res.json?.blocks)).toContain('/keys stale');
    const user = await command({ command: '/user', text: 'help' });
    expect(text(user.res.json?.blocks)).toContain('/user lookup');
  });

  it('refuses a user who is not an admin, politely, and logs the refusal', async () => {
    const { res } = await command({ command: '/keys', text: 'stale 90', user_id: 'UINTRUDER' });
    expect(res.status).toBe(200);
    expect(text(res.json?.blocks)).toContain('/keys is for Keywarden admins');
    const refusal = logs.map((l) => JSON.parse(l)).find((l) => l.msg.startsWith('refused a command'));
    expect(refusal).toMatchObject({ level: 'warn', user: 'UINTRUDER', command: '/keys' });
    await bot.queue.idle();
  });

  it('admits members of the admin user group', async () => {
    const { res, responseUrl } = await command({
      command: '/user',
      text: 'lookup alice@acme.example',
      user_id: 'UGROUPADMIN',
    });
    expect(text(res.json?.blocks)).toContain('Looking up');
    await slack.waitFor(() => slack.postsTo(responseUrl).length > 0);
  });

  it('/keys digest: previews the weekly digest privately', async () => {
    const { res, responseUrl } = await command({ command: '/keys', text: 'digest' });
    expect(text(res.json?.blocks)).toContain('Putting the weekly digest together');
    await slack.waitFor(() => slack.postsTo(responseUrl).length > 0);
    const [preview] = slack.postsTo(responseUrl);
    expect(preview).toMatchObject({ response_type: 'ephemeral', replace_original: true });
    expect(blockLimitViolations(preview?.blocks as Block[])).toEqual([]);
    expect(text(preview?.blocks)).toContain('Digest preview: 2026-11-16 to 2026-11-22');
    expect(text(preview?.blocks)).toContain('Review stale keys');
  });

  it('"Review stale keys" on the digest answers privately without replacing the digest', async () => {
    const responseUrl = slack.responseUrl();
    const body = blockActionBody({
      type: 'block_actions',
      user: { id: 'UADMIN1' },
      channel: { id: 'CDIGEST' },
      container: { type: 'message', channel_id: 'CDIGEST', message_ts: '1700000000.000100' },
      response_url: responseUrl,
      trigger_id: 'trigger-digest-review',
      actions: [{ action_id: 'digest_review_stale_0', value: JSON.stringify({ days: 90, offset: 0 }) }],
    });
    expect((await post(bot.url, body, signedHeaders(SIGNING_SECRET, body))).status).toBe(200);
    await slack.waitFor(() => slack.postsTo(responseUrl).length > 0);
    const [list] = slack.postsTo(responseUrl);
    expect(list).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(text(list?.blocks)).toContain('Keys unused for 90+ days');
  });

  it('refuses a button press from a user who is not an admin', async () => {
    const responseUrl = slack.responseUrl();
    const body = blockActionBody({
      type: 'block_actions',
      user: { id: 'UINTRUDER' },
      channel: { id: 'C0ADMINS' },
      response_url: responseUrl,
      trigger_id: 'trigger-intruder',
      actions: [{ action_id: 'stale_csv', value: JSON.stringify({ days: 90, offset: 0 }) }],
    });
    const res = await post(bot.url, body, signedHeaders(SIGNING_SECRET, body));
    expect(res.status).toBe(200);
    await slack.waitFor(() => slack.postsTo(responseUrl).length > 0);
    expect(text(slack.postsTo(responseUrl)[0]?.blocks)).toContain('this is for Keywarden admins');
  });
});

describe('request verification over HTTP', () => {
  let bot: LocalBot;
  beforeAll(async () => {
    bot = await startLocalBot({
      env: { SLACK_SIGNING_SECRET: SIGNING_SECRET, KEYWARDEN_ADMINS: 'UADMIN1' },
      port: 0,
      dataDir: null,
      clock,
      logger: jsonLogger({ level: 'debug' }),
    });
  });
  afterAll(async () => {
    await bot.close();
  });

  const body = slashCommandBody({ command: '/keys', text: 'help', response_url: 'http://127.0.0.1:9/hook' });
  const now = Math.floor(Date.now() / 1000);

  it('accepts a correctly signed request', async () => {
    expect((await post(bot.url, body, signedHeaders(SIGNING_SECRET, body, now))).status).toBe(200);
  });

  it.each([
    ['a forged signature', { ...signedHeaders('some-other-secret', body, now) }],
    [
      'no signature',
      { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(now) },
    ],
    ['a timestamp six minutes old', signedHeaders(SIGNING_SECRET, body, now - 360)],
    ['a timestamp six minutes in the future', signedHeaders(SIGNING_SECRET, body, now + 360)],
  ])('answers 401 to %s', async (_what, headers) => {
    expect((await post(bot.url, body, headers)).status).toBe(401);
  });

  it('answers 401 to a body changed after signing', async () => {
    const headers = signedHeaders(SIGNING_SECRET, body, now);
    expect((await post(bot.url, body.replace('help', 'stale%2090'), headers)).status).toBe(401);
  });

  it('answers 401 to unsigned garbage, never a 500', async () => {
    expect(
      (await post(bot.url, '\u0000\u00ff{{{not a form', { 'content-type': 'application/json' })).status,
    ).toBe(401);
  });

  it('verifies a body with invalid UTF-8 over its raw bytes, then refuses it as unreadable (400)', async () => {
    const raw = Buffer.concat([
      Buffer.from('command=%2Fkeys&text=help&x=', 'utf8'),
      Buffer.from([0xff, 0xc0]),
    ]);
    const ts = now;
    const res = await fetch(`${bot.url}/slack/events`, {
      method: 'POST',
      body: raw,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': signSlackRequest(SIGNING_SECRET, ts, raw),
      },
    });
    expect(res.status).toBe(400);
    // Signed over the decoded text instead, the same bytes are not Slack's: 401.
    const forged = await fetch(`${bot.url}/slack/events`, {
      method: 'POST',
      body: raw,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': signSlackRequest(SIGNING_SECRET, ts, raw.toString('utf8')),
      },
    });
    expect(forged.status).toBe(401);
  });

  it('answers 400 to signed garbage', async () => {
    const garbage = '{"payload": not json';
    expect(
      (
        await post(bot.url, garbage, {
          ...signedHeaders(SIGNING_SECRET, garbage, now),
          'content-type': 'application/json',
        })
      ).status,
    ).toBe(400);
  });
});
