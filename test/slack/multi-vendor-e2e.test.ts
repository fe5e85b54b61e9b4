import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Block, blockLimitViolations } from '../../src/blocks/limits.js';
import { type LocalBot, startLocalBot } from '../../src/local/bot.js';
import { jsonLogger } from '../../src/log.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { clock } from '../helpers/idmelon.js';
import {
  type Button,
  buttons,
  post,
  pressAndSubmit,
  pressBody,
  signedHeaders,
  slashCommandBody,
} from '../helpers/slack-requests.js';

const SECRET = 'multi-vendor-signing-secret-012345';
const text = (v: unknown) => JSON.stringify(v);

describe('all three vendors behind the same commands', () => {
  const slack = new FakeSlack();
  let bot: LocalBot;
  let n = 0;

  beforeAll(async () => {
    await slack.start();
    bot = await startLocalBot({
      env: {
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: 'xoxb-multi-vendor-0123',
        SLACK_API_URL: slack.apiUrl,
        KEYWARDEN_ADMINS: 'UADMIN1,UADMIN2',
        KEYWARDEN_APPROVERS: 'UADMIN2',
        KEYWARDEN_APPROVALS_CHANNEL: 'CAPPROVALS',
      },
      port: 0,
      dataDir: null,
      clock,
      sandbox: { users: 200, keys: 600, logs: 0 },
      logger: jsonLogger({ level: 'debug' }),
    });
  });
  afterAll(async () => {
    await bot.close();
    await slack.close();
  });

  async function slash(textArg: string, command = '/keys') {
    const responseUrl = slack.responseUrl();
    const body = slashCommandBody({ command, text: textArg, user_id: 'UADMIN1', response_url: responseUrl });
    expect((await post(bot.url, body, signedHeaders(SECRET, body))).status).toBe(200);
    await slack.waitFor(() => slack.postsTo(responseUrl).length > 0, 20_000);
    return slack.postsTo(responseUrl)[0]?.blocks as Block[];
  }

  async function press(user: string, button: Button, channel: string) {
    const responseUrl = slack.responseUrl();
    const body = pressBody(user, button, channel, responseUrl, `trigger-mv-${++n}`);
    expect((await post(bot.url, body, signedHeaders(SECRET, body))).status).toBe(200);
    await bot.queue.idle();
    return responseUrl;
  }

  /** Request revocation (one key, or all N): the modal opens and is submitted with a reason. */
  async function request(button: Button) {
    const triggerId = `trigger-mv-${++n}`;
    await pressAndSubmit({
      url: bot.url,
      secret: SECRET,
      slack,
      user: 'UADMIN1',
      button,
      channel: 'C0ADMINS',
      triggerId,
      reason: 'idle keys of contractors',
    });
    await bot.queue.idle();
    return slack.viewOpenedBy(triggerId)?.view;
  }

  /** Requests revocation of the first row, then a second admin approves it. */
  async function revokeFirstRow(blocks: Block[]) {
    const row = buttons(blocks).find((b) => b.action_id === 'revoke_key') as Button;
    const posts = slack.callsOf('chat.postMessage').length;
    await request(row);
    const approval = slack
      .callsOf('chat.postMessage')
      .slice(posts)
      .find((c) => c.args.channel === 'CAPPROVALS');
    const approve = buttons(approval?.args.blocks as Block[]).find(
      (b) => b.action_id === 'approval_approve',
    ) as Button;
    await press('UADMIN2', approve, 'CAPPROVALS');
    return JSON.parse(row.value) as { v: string; id: string; o?: string };
  }

  it('/keys stale 90 answers for every vendor, grouped, within Slack’s limits', async () => {
    const blocks = await slash('stale 90');
    expect(blockLimitViolations(blocks)).toEqual([]);
    const json = text(blocks);
    for (const label of ['*IDmelon*', '*TryMellon*', '*Solvimon*']) expect(json).toContain(label);
    expect(json).toContain('record no last use');
  });

  it('/keys stale 90 trymellon answers for TryMellon only, and its revocation goes through approval', async () => {
    const blocks = await slash('stale 90 trymellon');
    const json = text(blocks);
    expect(json).toContain('*TryMellon*');
    expect(json).not.toContain('*IDmelon*');
    const ref = await revokeFirstRow(blocks);
    expect(ref.v).toBe('trymellon');
    expect(bot.sandboxes.trymellon?.revocations).toEqual([ref.id]);
    const done = slack.callsOf('chat.update').at(-1);
    expect(text(done?.args.blocks)).toContain('1 deleted');
  });

  it('/keys stale 90 solvimon: a key is deactivated with PATCH after approval', async () => {
    const blocks = await slash('stale 90 solvimon');
    expect(text(blocks)).toContain('created');
    const ref = await revokeFirstRow(blocks);
    expect(ref.v).toBe('solvimon');
    expect(bot.sandboxes.solvimon?.patches).toEqual([{ id: ref.id, body: { status: 'INACTIVE' } }]);
    expect(bot.sandboxes.solvimon?.server.count(/decrypt/)).toBe(0);
  });

  it('"Request revocation of all N" across vendors makes one request per vendor, each with its own criterion', async () => {
    const blocks = await slash('stale 90');
    const all = buttons(blocks).find((b) => b.action_id === 'revoke_stale') as Button;

    const posts = slack.callsOf('chat.postMessage').length;
    const modal = await request(all);
    // The modal counts each vendor's keys under its own criterion.
    const dialog = text(modal);
    expect(dialog).toMatch(/3 requests, one per vendor,/);
    expect(dialog).toMatch(/IDmelon: [\d,]+ keys? unused for 90\+ days/);
    expect(dialog).toMatch(/TryMellon: [\d,]+ keys? unused for 90\+ days/);
    expect(dialog).toMatch(/Solvimon: [\d,]+ keys? created more than 90 days ago \(use not recorded\)/);
    await slack.waitFor(
      () =>
        slack
          .callsOf('chat.postMessage')
          .slice(posts)
          .filter((c) => c.args.channel === 'CAPPROVALS').length === 3,
      20_000,
      'three approval requests',
    );
    const requests = slack
      .callsOf('chat.postMessage')
      .slice(posts)
      .filter((c) => c.args.channel === 'CAPPROVALS')
      .map((c) => text(c.args.blocks));
    const solvimon = requests.find((r) => r.includes('in Solvimon'));
    expect(solvimon).toContain(
      'created more than 90 days ago and still active (Solvimon does not record use)',
    );
    expect(solvimon).not.toContain('unused for');
    expect(solvimon).not.toMatch(/IDmelon|TryMellon/);
    const idmelon = requests.find((r) => r.includes('in IDmelon'));
    expect(idmelon).toContain('in IDmelon unused for 90+ days');
    expect(idmelon).not.toMatch(/Solvimon|TryMellon/);
    expect(requests.find((r) => r.includes('in TryMellon unused for 90+ days'))).toBeDefined();
    // Each vendor's count in the modal is the number of keys its request holds.
    for (const [label, req] of [
      ['IDmelon', idmelon],
      ['Solvimon', solvimon],
    ] as const) {
      const count = new RegExp(`${label}: ([\\d,]+) key`).exec(dialog)?.[1]?.replace(/,/g, '');
      expect(req).toContain(`asks to revoke *${Number(count).toLocaleString('en-US')} key`);
    }
  });

  it('/user lookup looks in every vendor', async () => {
    const blocks = await slash('lookup alice@acme.example', '/user');
    expect(blockLimitViolations(blocks)).toEqual([]);
    const json = text(blocks);
    expect(json).toContain('*IDmelon*: *Alice Anders*');
    // Vendor emails show literally, with a one-dot leader so Slack does not make them mailto links.
    expect(json).toContain('*TryMellon*: *alice@acme\u2024example*');
    expect(json).toContain('*Solvimon*: *alice@acme\u2024example*');
  });

  it('/keys digest has a section per vendor', async () => {
    const blocks = await slash('digest');
    expect(blockLimitViolations(blocks)).toEqual([]);
    const json = text(blocks);
    for (const part of ['*Sign-ins*', '*Audit events*', '*API keys*']) expect(json).toContain(part);
  });
});
