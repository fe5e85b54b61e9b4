import { afterEach, describe, expect, it } from 'vitest';
import { type Block, blockLimitViolations } from '../../../src/blocks/limits.js';
import type { Clock } from '../../../src/domain/clock.js';
import { type LocalBot, startLocalBot } from '../../../src/local/bot.js';
import { jsonLogger } from '../../../src/log.js';
import { signSlackRequest } from '../../../src/slack/verify.js';
import { FakeSlack } from '../../helpers/fake-slack.js';
import { NOW } from '../../helpers/idmelon.js';
import {
  type Button,
  buttons,
  post,
  pressAndSubmit,
  signedHeaders,
  slashCommandBody,
} from '../../helpers/slack-requests.js';

/** The App Home against the local bot, the IDmelon sandbox and the fake Slack. Each test has its own bot. */
const SECRET = 'home-signing-secret-0123456789ab';

interface World {
  bot: LocalBot;
  slack: FakeSlack;
}
let world: World | undefined;
afterEach(async () => {
  await world?.bot.close();
  await world?.slack.close();
  world = undefined;
});

async function start(): Promise<World> {
  const slack = new FakeSlack();
  await slack.start();
  const clock: Clock = { now: () => NOW };
  const bot = await startLocalBot({
    env: {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-home-0123',
      SLACK_API_URL: slack.apiUrl,
      KEYWARDEN_ADMINS: 'UADMIN1,UADMIN2',
      KEYWARDEN_APPROVERS: 'UADMIN2',
      KEYWARDEN_APPROVALS_CHANNEL: 'CAPPROVALS',
    },
    port: 0,
    dataDir: null,
    clock,
    vendors: ['idmelon'],
    sandbox: { users: 20, keys: 60, logs: 0, seed: 11 },
    sweepEveryMs: 0,
    policyCheckEveryMs: 0,
    logger: jsonLogger({ level: 'warn' }),
  });
  world = { bot, slack };
  return world;
}

let n = 0;
function homeOpenedBody(user: string, eventId = `Ev${++n}`): string {
  return JSON.stringify({
    type: 'event_callback',
    team_id: 'T0001',
    api_app_id: 'A0KEYWARDEN',
    event_id: eventId,
    event_time: Math.floor(NOW.getTime() / 1000),
    event: { type: 'app_home_opened', user, channel: `D${user}`, tab: 'home', event_ts: '1.0' },
  });
}

async function openHome(w: World, user: string, eventId?: string, retry?: number) {
  const body = homeOpenedBody(user, eventId);
  const ts = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': signSlackRequest(SECRET, ts, body),
    ...(retry ? { 'x-slack-retry-num': String(retry), 'x-slack-retry-reason': 'http_timeout' } : {}),
  };
  const res = await post(w.bot.url, body, headers);
  expect(res.status).toBe(200);
  await w.bot.queue.idle();
}

const homeOf = (w: World, user: string) => w.slack.homes.get(user) as { blocks: Block[] } | undefined;
const text = (v: unknown) => JSON.stringify(v);

/** A press on the Home tab: no channel, the container is the view. */
async function pressOnHome(w: World, user: string, button: Button) {
  const payload = {
    type: 'block_actions',
    user: { id: user },
    team: { id: 'T0001' },
    container: { type: 'view', view_id: `VHOME${user}` },
    trigger_id: `trigger-home-${++n}`,
    actions: [{ type: 'button', action_id: button.action_id, value: button.value }],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  expect((await post(w.bot.url, body, signedHeaders(SECRET, body))).status).toBe(200);
  await w.bot.queue.idle();
}

/** An admin asks for one key's revocation from a stale list; the request goes to the approvals channel. */
async function requestOne(w: World): Promise<string> {
  const hook = w.slack.responseUrl();
  const body = slashCommandBody({
    command: '/keys',
    text: 'stale 90',
    user_id: 'UADMIN1',
    response_url: hook,
  });
  await post(w.bot.url, body, signedHeaders(SECRET, body));
  await w.bot.queue.idle();
  const list = (w.slack.postsTo(hook).at(-1)?.blocks ?? []) as Block[];
  const row = buttons(list).find((b) => b.action_id === 'revoke_key') as Button;
  await pressAndSubmit({
    url: w.bot.url,
    secret: SECRET,
    slack: w.slack,
    user: 'UADMIN1',
    button: row,
    channel: 'C0ADMINS',
    triggerId: `trigger-home-${++n}`,
    reason: 'left the company',
  });
  await w.bot.queue.idle();
  const open = await w.bot.requests.listOpen();
  expect(open).toHaveLength(1);
  return open[0]?.id as string;
}

describe('the App Home', () => {
  it('shows an approver what waits for them, and approving there revokes once and updates the channel message', async () => {
    const w = await start();
    const id = await requestOne(w);
    await openHome(w, 'UADMIN2');
    const home = homeOf(w, 'UADMIN2');
    expect(blockLimitViolations(home?.blocks ?? [], 'view')).toEqual([]);
    expect(text(home)).toContain(id);
    const approve = buttons(home?.blocks ?? []).find(
      (b) => b.action_id === 'approval_approve' && JSON.parse(b.value).r === id,
    ) as Button;
    const before = w.bot.sandbox?.workspace.keys.length ?? 0;
    await pressOnHome(w, 'UADMIN2', approve);
    await pressOnHome(w, 'UADMIN2', approve);
    expect(await w.bot.requests.get(id)).toMatchObject({ state: 'done', approver: 'UADMIN2' });
    expect(w.bot.sandbox?.workspace.keys.length).toBe(before - 1);
    // The channel message shows the outcome, and the Home no longer lists the request as waiting.
    const updated = w.slack.callsOf('chat.update').filter((c) => c.args.channel === 'CAPPROVALS');
    expect(text(updated.at(-1)?.args.blocks)).toContain('Approved by <@UADMIN2>');
    const after = homeOf(w, 'UADMIN2');
    expect(buttons(after?.blocks ?? []).some((b) => b.action_id === 'approval_approve')).toBe(false);
    // The requester cannot approve their own request from their Home: it is not shown as waiting for them.
    await openHome(w, 'UADMIN1');
    expect(buttons(homeOf(w, 'UADMIN1')?.blocks ?? []).some((b) => b.action_id === 'approval_approve')).toBe(
      false,
    );
  });

  it('shows someone who is not an admin only their own keys', async () => {
    const w = await start();
    const users = w.bot.sandbox?.workspace.users ?? [];
    const me = users[3];
    if (!me) throw new Error('no user');
    w.slack.users.push({ id: 'UPLAIN1', email: me.email });
    await openHome(w, 'UPLAIN1');
    const home = text(homeOf(w, 'UPLAIN1'));
    expect(home).toContain('My keys');
    expect(home).not.toContain('Posture');
    expect(home).not.toContain('approval_approve');
    const mine = new Set(
      (w.bot.sandbox?.workspace.keys ?? []).filter((k) => k.ownerId === me._id).map((k) => k.name),
    );
    const others = (w.bot.sandbox?.workspace.keys ?? [])
      .filter((k) => k.ownerId !== me._id)
      .map((k) => k.name);
    for (const name of mine) expect(home).toContain(name);
    for (const name of others) if (!mine.has(name)) expect(home).not.toContain(`*${name}*`);
  });

  it('shows admins the posture recorded by scans, and quick actions', async () => {
    const w = await start();
    await requestOne(w);
    await openHome(w, 'UADMIN1');
    const home = text(homeOf(w, 'UADMIN1'));
    expect(home).toContain('Posture');
    expect(home).toMatch(/IDmelon\*: [\d,]+ stale/);
    expect(buttons(homeOf(w, 'UADMIN1')?.blocks ?? []).map((b) => b.action_id)).toEqual(
      expect.arrayContaining(['home_scan', 'home_digest', 'home_lookup']),
    );
  });

  it('handles an event Slack sends again (x-slack-retry-num) once', async () => {
    const w = await start();
    await openHome(w, 'UADMIN1', 'EvRETRY1');
    const publishes = w.slack.callsOf('views.publish').length;
    await openHome(w, 'UADMIN1', 'EvRETRY1', 1);
    expect(w.slack.callsOf('views.publish').length).toBe(publishes);
  });
});
