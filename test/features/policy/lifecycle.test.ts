import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_FAILED, EXIT_OK, runCli } from '../../../src/cli/run.js';
import type { Clock } from '../../../src/domain/clock.js';
import type { Policy } from '../../../src/domain/policy.js';
import { type LocalBot, startLocalBot } from '../../../src/local/bot.js';
import { jsonLogger } from '../../../src/log.js';
import { FakeSlack, type SlackCall } from '../../helpers/fake-slack.js';
import { NOW } from '../../helpers/idmelon.js';
import { RecordingMetrics } from '../../helpers/metrics.js';
import {
  type Button,
  blockActionBody,
  buttons,
  post,
  pressAndSubmit,
  pressBody,
  signedHeaders,
  slashCommandBody,
} from '../../helpers/slack-requests.js';

/**
 * The hygiene lifecycle end to end: the local bot on dynalite, the IDmelon sandbox, the fake Slack Web API, and a
 * clock the test moves. Each test starts its own bot, so each passes alone.
 */
const SECRET = 'policy-lifecycle-signing-secret-01';
const DAY = 86_400_000;

const basePolicy: Policy = {
  name: 'idle-keys',
  vendors: ['idmelon'],
  idleDays: 90,
  neverUsedGraceDays: 90,
  exclude: { owners: [], groups: [], keyNames: [] },
  notifyOwner: true,
  graceDays: 14,
  // biome-ignore lint/suspicious/noThenProperty: the policy field is named `then`, as in the policy file
  then: 'request_revocation',
  ownerMayRevoke: true,
};

interface World {
  bot: LocalBot;
  slack: FakeSlack;
  clock: Clock & { advance(days: number): void };
  /** Slack user id by email, for the workspace the test built. */
  userOf: Map<string, string>;
  metrics: RecordingMetrics;
}

let world: World | undefined;
afterEach(async () => {
  await world?.bot.close();
  await world?.slack.close();
  world = undefined;
});

async function start(
  options: { policy?: Partial<Policy>; missingFromSlack?: number; slackFirst?: (s: FakeSlack) => void } = {},
): Promise<World> {
  const slack = new FakeSlack();
  await slack.start();
  let at = NOW.getTime();
  const clock = {
    now: () => new Date(at),
    advance(days: number) {
      at += days * DAY;
    },
  };
  const metrics = new RecordingMetrics();
  const bot = await startLocalBot({
    env: {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-policy-lifecycle-0123',
      SLACK_API_URL: slack.apiUrl,
      KEYWARDEN_ADMINS: 'UADMIN1,UADMIN2,UADMIN3',
      KEYWARDEN_APPROVERS: 'UADMIN2,UADMIN3',
      KEYWARDEN_APPROVALS_CHANNEL: 'CAPPROVALS',
      KEYWARDEN_SECURITY_CHANNEL: 'CSECURITY',
    },
    port: 0,
    dataDir: null,
    clock,
    vendors: ['idmelon'],
    sandbox: { users: 6, keys: 18, logs: 0, staleRatio: 0.5, neverUsedRatio: 0, seed: 7 },
    policies: [{ ...basePolicy, ...options.policy }],
    sweepEveryMs: 0,
    policyCheckEveryMs: 0,
    logger: jsonLogger({ level: 'warn' }),
    metrics,
  });
  const users = bot.sandbox?.workspace.users ?? [];
  const userOf = new Map<string, string>();
  const inSlack = users.slice(options.missingFromSlack ?? 0);
  for (const [i, u] of inSlack.entries()) {
    const id = `UOWNER${i}`;
    slack.users.push({ id, email: u.email });
    userOf.set(u.email.toLowerCase(), id);
  }
  options.slackFirst?.(slack);
  world = { bot, slack, clock, userOf, metrics };
  return world;
}

const dms = (slack: FakeSlack): SlackCall[] =>
  slack.callsOf('chat.postMessage').filter((c) => String(c.args.channel).startsWith('D'));
const blocksOf = (c: SlackCall | undefined) => (c?.args.blocks ?? []) as Array<Record<string, unknown>>;
const text = (v: unknown) => JSON.stringify(v);

let presses = 0;
async function press(w: World, user: string, button: Button, channel: string) {
  const responseUrl = w.slack.responseUrl();
  const body = pressBody(user, button, channel, responseUrl, `trigger-policy-${++presses}`);
  expect((await post(w.bot.url, body, signedHeaders(SECRET, body))).status).toBe(200);
  await w.bot.queue.idle();
  return responseUrl;
}

async function submitKeep(w: World, user: string, metadata: string, reason: string, days = '90') {
  const body = blockActionBody({
    type: 'view_submission',
    user: { id: user },
    team: { id: 'T0001' },
    view: {
      id: `V${++presses}`,
      callback_id: 'policy_keep_modal',
      private_metadata: metadata,
      state: {
        values: {
          reason: { value: { type: 'plain_text_input', value: reason } },
          days: { value: { type: 'static_select', selected_option: { value: days } } },
        },
      },
    },
  });
  const res = await post(w.bot.url, body, signedHeaders(SECRET, body));
  await w.bot.queue.idle();
  return res;
}

/** The first owner the run told, their DM, and their Slack id. */
async function firstNotice(w: World) {
  const [result] = await w.bot.runPolicies();
  const group = result?.plan.notify[0];
  if (!group?.slackUser || !group.ownerEmail) throw new Error('the run told nobody');
  const dm = dms(w.slack).find((c) => c.args.channel === `D${group.slackUser}`);
  return { result, group, dm, user: group.slackUser };
}

describe('the hygiene lifecycle', () => {
  it('notice → keep with a reason → the exemption expires → noticed again', async () => {
    const w = await start();
    const { group, dm, user } = await firstNotice(w);
    expect(text(blocksOf(dm))).toContain('Keep it');
    const key = group.keys[0];
    if (!key) throw new Error('no key');
    const keep = buttons(blocksOf(dm)).find(
      (b) => b.action_id === 'policy_keep' && JSON.parse(b.value).k === key.id,
    ) as Button;
    await press(w, user, keep, `D${user}`);
    const modal = [...w.slack.views.values()].at(-1) as { private_metadata: string };
    expect(modal).toBeDefined();
    // A reason is required: the modal stays open with the error.
    const refused = await submitKeep(w, user, modal.private_metadata, '');
    expect(refused.json).toMatchObject({ response_action: 'errors' });
    await submitKeep(w, user, modal.private_metadata, 'break-glass key kept in the safe');
    const cycle = await w.bot.policyStore.cycle('idle-keys', key.vendor, key.id);
    expect(cycle?.state).toBe('kept');
    const exemptions = await w.bot.policyStore.exemptions();
    expect(exemptions.find((e) => e.keyId === key.id)).toMatchObject({
      reason: 'break-glass key kept in the safe',
      grantedBy: user,
      via: 'owner',
    });
    // The DM shows the answer in place.
    const updated = w.slack.callsOf('chat.update').at(-1);
    expect(text(updated?.args.blocks)).toContain('You are keeping it until');
    // While kept, later runs leave it alone; once the 90 days are over it is noticed again.
    w.clock.advance(30);
    const [during] = await w.bot.runPolicies();
    expect(during?.plan.notify.flatMap((g) => g.keys).some((k) => k.id === key.id)).toBe(false);
    w.clock.advance(61);
    const [after] = await w.bot.runPolicies();
    expect(after?.plan.notify.flatMap((g) => g.keys).some((k) => k.id === key.id)).toBe(true);
    expect((await w.bot.policyStore.cycle('idle-keys', key.vendor, key.id))?.state).toBe('notified');
  });

  it('notice → silence → escalation → two approvers → revoked exactly once → the owner is told', async () => {
    const w = await start();
    const { result: noticed, group, user } = await firstNotice(w);
    expect(w.metrics.total('PolicyRuns')).toBe(1);
    expect(w.metrics.total('OwnersNotified')).toBe(noticed?.plan.notify.length);
    expect(w.metrics.total('KeysEscalated')).toBe(0);
    w.clock.advance(15);
    const [run] = await w.bot.runPolicies();
    expect(run?.requests).toHaveLength(1);
    const request = run?.requests[0]?.request;
    expect(w.metrics.total('PolicyRuns')).toBe(2);
    expect(w.metrics.total('KeysEscalated')).toBe(request?.keyCount);
    expect(w.metrics.total('RevocationsRequested')).toBe(1);
    expect(request).toMatchObject({ policy: 'idle-keys', approvalsNeeded: 2, requester: 'policy:idle-keys' });
    const posted = w.slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'CAPPROVALS');
    expect(text(posted?.args.blocks)).toContain('Policy *idle-keys* asks');
    expect(text(posted?.args.blocks)).toContain('needs two different approvers');
    const approve = buttons(blocksOf(posted)).find((b) => b.action_id === 'approval_approve') as Button;
    // The first approval is recorded; nothing is revoked yet. The same approver again changes nothing.
    await press(w, 'UADMIN2', approve, 'CAPPROVALS');
    expect((await w.bot.requests.get(request?.id as string))?.state).toBe('pending');
    await press(w, 'UADMIN2', approve, 'CAPPROVALS');
    expect((await w.bot.requests.get(request?.id as string))?.state).toBe('pending');
    const before = w.bot.sandbox?.workspace.keys.length ?? 0;
    await press(w, 'UADMIN3', approve, 'CAPPROVALS');
    const done = await w.bot.requests.get(request?.id as string);
    expect(done).toMatchObject({ state: 'done', firstApprover: 'UADMIN2', approver: 'UADMIN3' });
    expect(w.bot.sandbox?.workspace.keys.length).toBe(before - (request?.keyCount ?? 0));
    // The owner is told which key, why, and who approved.
    const told = dms(w.slack)
      .filter((c) => c.args.channel === `D${user}`)
      .at(-1);
    expect(text(told?.args.blocks)).toContain('revoked');
    expect(text(told?.args.blocks)).toContain('<@UADMIN2> and <@UADMIN3>');
    // Two approvals, one request approved; its keys revoked, each counted once.
    expect(w.metrics.total('RevocationsApproved')).toBe(1);
    expect(w.metrics.total('KeysRevoked', { vendor: 'idmelon' })).toBe(request?.keyCount);
    // A second run the same day raises nothing more, and is not counted as a run.
    const [again] = await w.bot.runPolicies();
    expect(again?.requests).toHaveLength(0);
    expect(w.metrics.total('PolicyRuns')).toBe(2);
    expect(group.keys.length).toBeGreaterThan(0);
  });

  it('lets the approvers a policy names decide its requests, and only them', async () => {
    const w = await start({ policy: { approvers: ['UPOLICY1', 'UPOLICY2'] } });
    await firstNotice(w);
    w.clock.advance(15);
    const [run] = await w.bot.runPolicies();
    const id = run?.requests[0]?.request.id as string;
    const posted = w.slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'CAPPROVALS');
    const approve = buttons(blocksOf(posted)).find((b) => b.action_id === 'approval_approve') as Button;
    // A configured approver the policy does not name is refused by the worker; nothing changes.
    await press(w, 'UADMIN2', approve, 'CAPPROVALS');
    expect((await w.bot.requests.get(id))?.firstApprover).toBeUndefined();
    await press(w, 'UPOLICY1', approve, 'CAPPROVALS');
    await press(w, 'UPOLICY2', approve, 'CAPPROVALS');
    expect(await w.bot.requests.get(id)).toMatchObject({
      state: 'done',
      firstApprover: 'UPOLICY1',
      approver: 'UPOLICY2',
    });
  });

  it('a key used during its grace period is cleared, and nothing is escalated', async () => {
    const w = await start();
    const { group } = await firstNotice(w);
    const key = group.keys[0];
    const inSandbox = w.bot.sandbox?.workspace.keys.find((k) => k._id === key?.id);
    if (!inSandbox || !key) throw new Error('no key');
    w.clock.advance(5);
    inSandbox.lastActivityAt = w.clock.now().toISOString();
    w.clock.advance(10);
    const [run] = await w.bot.runPolicies();
    expect(run?.plan.clear.find((c) => c.cycle.keyId === key.id)?.why).toBe('used since notice');
    expect(run?.requests.flatMap((r) => r.keys).some((k) => k.id === key.id)).toBe(false);
    expect((await w.bot.policyStore.cycle('idle-keys', key.vendor, key.id))?.state).toBe('cleared');
  });

  it('lists owners who have no Slack account to the admins instead of dropping them', async () => {
    const w = await start({ missingFromSlack: 6 });
    const [run] = await w.bot.runPolicies();
    expect(run?.plan.notify).toHaveLength(0);
    expect(run?.plan.unknownOwners.length).toBeGreaterThan(0);
    expect(dms(w.slack)).toHaveLength(0);
    const listed = w.slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'CAPPROVALS');
    expect(text(listed?.args)).toContain('have no Slack account');
    for (const g of run?.plan.unknownOwners ?? []) expect(text(listed?.args)).toContain(g.ownerEmail);
  });

  it('sends one DM per owner however often the run fires the same day', async () => {
    const w = await start();
    const [first] = await w.bot.runPolicies();
    const owners = first?.plan.notify.length ?? 0;
    expect(owners).toBeGreaterThan(0);
    expect(dms(w.slack)).toHaveLength(owners);
    await w.bot.runPolicies();
    await w.bot.runPolicies();
    expect(dms(w.slack)).toHaveLength(owners);
    // One DM lists all of that owner's keys.
    for (const g of first?.plan.notify ?? [])
      expect(dms(w.slack).filter((c) => c.args.channel === `D${g.slackUser}`)).toHaveLength(1);
  });

  it('runs on schedule through the queue, its notices split into jobs, one DM per owner even when fired twice', async () => {
    const w = await start();
    const [plan] = await w.bot.runPolicies({ dryRun: true });
    const owners = plan?.plan.notify.length ?? 0;
    expect(owners).toBeGreaterThan(2);
    await w.bot.schedulePolicies();
    await w.bot.queue.idle();
    await w.bot.schedulePolicies();
    await w.bot.queue.idle();
    expect(dms(w.slack)).toHaveLength(owners);
    expect(new Set(dms(w.slack).map((c) => c.args.channel)).size).toBe(owners);
    // The notices sent from their own jobs are counted there, once each.
    expect(w.metrics.total('OwnersNotified')).toBe(owners);
    expect(w.metrics.total('PolicyRuns')).toBe(1);
    const runs = await w.bot.policyStore.lastRuns(5);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ policy: 'idle-keys', owners, dryRun: false });
  });

  it('a run that dies part-way through its DMs is taken over once its claim lapses: nobody is told twice, nobody is missed', async () => {
    const w = await start();
    const [plan] = await w.bot.runPolicies({ dryRun: true });
    const owners = plan?.plan.notify.map((g) => `D${g.slackUser}`) ?? [];
    expect(owners.length).toBeGreaterThan(2);
    // The first DM fails (Slack refuses it); the others already in flight are sent and recorded.
    w.slack.fail('chat.postMessage', 'internal_error', 1);
    await expect(w.bot.runPolicies()).rejects.toThrow();
    // Every DM was attempted once; the fake Slack records the refused one too.
    expect(dms(w.slack)).toHaveLength(owners.length);
    const refused = dms(w.slack)[0]?.args.channel;
    // While the dead run's claim holds, a second run does nothing; once it lapses, the next run finishes the work.
    await expect(w.bot.runPolicies()).rejects.toThrow(/being run by another process/);
    w.clock.advance(16 / (24 * 60));
    await w.bot.runPolicies();
    // The refused owner is sent it again, once; everyone else still has exactly one.
    for (const channel of owners)
      expect(dms(w.slack).filter((c) => c.args.channel === channel)).toHaveLength(
        channel === refused ? 2 : 1,
      );
    expect(await w.bot.policyStore.lastRuns(5)).toHaveLength(1);
  });

  it('lets an owner revoke their own key, and refuses the same button pressed by someone else', async () => {
    const w = await start();
    const { group, dm, user } = await firstNotice(w);
    const key = group.keys[0];
    const revoke = buttons(blocksOf(dm)).find(
      (b) => b.action_id === 'policy_self_revoke' && JSON.parse(b.value).k === key?.id,
    ) as Button;
    const stranger = [...w.userOf.values()].find((u) => u !== user) as string;
    const before = w.bot.sandbox?.workspace.keys.length ?? 0;
    const hook = await press(w, stranger, revoke, `D${user}`);
    expect(text(w.slack.postsTo(hook))).toContain('Only the key’s owner can revoke it');
    expect(w.bot.sandbox?.workspace.keys.length).toBe(before);
    await press(w, user, revoke, `D${user}`);
    expect(w.bot.sandbox?.workspace.keys.some((k) => k._id === key?.id)).toBe(false);
    expect(w.bot.sandbox?.workspace.keys.length).toBe(before - 1);
    // Pressed again: nothing more is deleted.
    await press(w, user, revoke, `D${user}`);
    expect(w.bot.sandbox?.workspace.keys.length).toBe(before - 1);
    expect((await w.bot.policyStore.cycle('idle-keys', 'idmelon', key?.id as string))?.state).toBe('cleared');
  });

  it('leaves alone the keys of owners in an excluded IDmelon group', async () => {
    const probe = await start();
    const ws = probe.bot.sandbox?.workspace;
    const [first] = await probe.bot.runPolicies({ dryRun: true });
    const ownerEmail = first?.plan.notify[0]?.ownerEmail;
    const owner = ws?.users.find((u) => u.email.toLowerCase() === ownerEmail);
    const group = ws?.groups.find((g) => owner?.groupIds.includes(g._id));
    if (!owner || !group) throw new Error('the seeded owner is in no group');
    await probe.bot.close();
    await probe.slack.close();
    world = undefined;
    const w = await start({ policy: { exclude: { owners: [], groups: [group.name], keyNames: [] } } });
    const [run] = await w.bot.runPolicies({ dryRun: true });
    const members = new Set(
      (w.bot.sandbox?.workspace.users ?? [])
        .filter((u) => u.groupIds.includes(group._id))
        .map((u) => u.email.toLowerCase()),
    );
    expect(run?.plan.skipped.some((s) => s.why === 'excluded (group)')).toBe(true);
    for (const g of run?.plan.notify ?? []) expect(members.has(g.ownerEmail ?? '')).toBe(false);
  });

  it('refuses "Revoke it now" when the policy does not allow owners to revoke', async () => {
    const w = await start({ policy: { ownerMayRevoke: false } });
    const { dm } = await firstNotice(w);
    expect(buttons(blocksOf(dm)).some((b) => b.action_id === 'policy_self_revoke')).toBe(false);
  });

  it('"Not mine" raises a security alert with a revocation button, once', async () => {
    const w = await start();
    const { group, dm, user } = await firstNotice(w);
    const key = group.keys[0];
    const notMine = buttons(blocksOf(dm)).find(
      (b) => b.action_id === 'policy_not_mine' && JSON.parse(b.value).k === key?.id,
    ) as Button;
    await press(w, user, notMine, `D${user}`);
    const alerts = () => w.slack.callsOf('chat.postMessage').filter((c) => c.args.channel === 'CSECURITY');
    expect(alerts()).toHaveLength(1);
    expect(text(alerts()[0]?.args.blocks)).toContain(key?.id);
    expect(buttons(blocksOf(alerts()[0])).map((b) => b.action_id)).toContain('revoke_key');
    await press(w, user, notMine, `D${user}`);
    expect(alerts()).toHaveLength(1);
  });

  it('keeps trying a security alert Slack refused, so a report of a rogue key is not lost', async () => {
    const w = await start();
    const { group, dm, user } = await firstNotice(w);
    const notMine = buttons(blocksOf(dm)).find(
      (b) => b.action_id === 'policy_not_mine' && JSON.parse(b.value).k === group.keys[0]?.id,
    ) as Button;
    w.slack.fail('chat.postMessage', 'channel_not_found', 1);
    await press(w, user, notMine, `D${user}`);
    await w.slack.waitFor(
      () => w.slack.callsOf('chat.postMessage').filter((c) => c.args.channel === 'CSECURITY').length > 1,
      20_000,
    );
    const cycle = await w.bot.policyStore.cycle('idle-keys', 'idmelon', group.keys[0]?.id as string);
    expect(cycle?.notMineAlertedAt).toBeDefined();
  });

  it('waits out Slack’s 429 on users.list and resolves every owner', async () => {
    const w = await start({ slackFirst: (s) => s.fail('users.list', 'ratelimited', 1, 1) });
    const [run] = await w.bot.runPolicies();
    expect(w.slack.callsOf('users.list').length).toBe(2);
    expect(run?.plan.notify.length).toBeGreaterThan(0);
    expect(run?.plan.unknownOwners).toHaveLength(0);
  });

  it('plans without writing or sending anything under --dry-run', async () => {
    const w = await start();
    const [plan] = await w.bot.runPolicies({ dryRun: true });
    expect(plan?.plan.notify.length).toBeGreaterThan(0);
    expect(await w.bot.policyStore.cycles('idle-keys')).toEqual([]);
    expect(dms(w.slack)).toHaveLength(0);
    expect(w.slack.callsOf('chat.postMessage')).toHaveLength(0);
  });
});

describe('exemptions granted by admins', () => {
  async function staleList(w: World) {
    const responseUrl = w.slack.responseUrl();
    const body = slashCommandBody({
      command: '/keys',
      text: 'stale 90',
      user_id: 'UADMIN1',
      response_url: responseUrl,
    });
    expect((await post(w.bot.url, body, signedHeaders(SECRET, body))).status).toBe(200);
    await w.bot.queue.idle();
    return blocksOf({ method: '', args: w.slack.postsTo(responseUrl).at(-1) ?? {} });
  }

  async function submitExempt(w: World, user: string, key: string, reason: string) {
    const view = [...w.slack.views.values()].at(-1) as { private_metadata: string };
    const body = blockActionBody({
      type: 'view_submission',
      user: { id: user },
      view: {
        id: `VEX${++presses}`,
        callback_id: 'exempt_modal',
        private_metadata: view.private_metadata,
        state: {
          values: {
            key: { value: { selected_option: { value: key } } },
            days: { value: { selected_option: { value: '90' } } },
            reason: { value: { value: reason } },
          },
        },
      },
    });
    const res = await post(w.bot.url, body, signedHeaders(SECRET, body));
    await w.bot.queue.idle();
    return res;
  }

  it('"Exempt a key…" on a stale list records an exemption, marks the key, and leaves it out of "all N"', async () => {
    const w = await start();
    const list = await staleList(w);
    const open = buttons(list).find((b) => b.action_id === 'exempt_open') as Button;
    const [vendor, id] = (JSON.parse(open.value) as string[][])[0] as string[];
    await press(w, 'UADMIN1', open, 'C0ADMINS');
    // Someone who is not an admin cannot submit it.
    const refused = await submitExempt(w, 'UOWNER0', `${vendor}#${id}`, 'kept in the safe');
    expect(refused.json).toMatchObject({ response_action: 'errors' });
    expect(await w.bot.policyStore.exemptions()).toEqual([]);
    await submitExempt(w, 'UADMIN1', `${vendor}#${id}`, 'kept in the safe');
    expect(await w.bot.policyStore.exemptions()).toMatchObject([
      { vendor, keyId: id, reason: 'kept in the safe', grantedBy: 'UADMIN1', via: 'admin' },
    ]);
    const again = await staleList(w);
    expect(text(again)).toContain('exempt until');
    const all = buttons(again).find((b) => b.action_id === 'revoke_stale') as Button;
    await pressAndSubmit({
      url: w.bot.url,
      secret: SECRET,
      slack: w.slack,
      user: 'UADMIN1',
      button: all,
      channel: 'C0ADMINS',
      triggerId: `trigger-policy-${++presses}`,
      reason: 'idle keys nobody kept',
    });
    await w.bot.queue.idle();
    const created = await w.bot.requests.listOpen();
    const keys = (await Promise.all(created.map((r) => w.bot.requests.keys(r.id)))).flat();
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.some((k) => k.id === id)).toBe(false);
  });
});

describe('the policy file at start-up', () => {
  it('refuses to start on a bad file, naming the line and field, and runs nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keywarden-policy-'));
    const file = join(dir, 'policies.yml');
    writeFileSync(file, 'policies:\n  - name: idle\n    idle_days: 0\n');
    await expect(
      startLocalBot({
        env: { KEYWARDEN_POLICIES_FILE: file, KEYWARDEN_ADMINS: 'UADMIN1' },
        port: 0,
        dataDir: null,
        sweepEveryMs: 0,
        policyCheckEveryMs: 0,
        logger: jsonLogger({ level: 'error' }),
      }),
    ).rejects.toThrow(/policies\.yml:3 idle_days: /);
    let stderr = '';
    const code = await runCli(['policy', 'run'], {
      stdout: () => undefined,
      stderr: (t) => {
        stderr += t;
      },
      env: { KEYWARDEN_POLICIES_FILE: file },
      dataDir: null,
    });
    expect(code).toBe(EXIT_FAILED);
    expect(stderr).toMatch(/policies\.yml:3 idle_days: /);
    expect(stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('keywarden policy run --dry-run prints the plan and says nothing was done', async () => {
    let stdout = '';
    const code = await runCli(['policy', 'run', '--dry-run'], {
      stdout: (t) => {
        stdout += t;
      },
      stderr: () => undefined,
      env: {},
      dataDir: null,
    });
    expect(code).toBe(EXIT_OK);
    expect(stdout).toContain('DRY RUN: nothing written, nothing sent');
    expect(stdout).toContain('keys matched:');
  });
});
