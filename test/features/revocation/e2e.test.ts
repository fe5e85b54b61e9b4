import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IdmelonSandbox } from '../../../sandbox/idmelon/index.js';
import { type Block, blockLimitViolations } from '../../../src/blocks/limits.js';
import { type LocalBot, startLocalBot } from '../../../src/local/bot.js';
import { jsonLogger } from '../../../src/log.js';
import { FakeSlack } from '../../helpers/fake-slack.js';
import { clock } from '../../helpers/idmelon.js';
import { RecordingMetrics } from '../../helpers/metrics.js';
import {
  type Button,
  buttons,
  post,
  pressBody,
  reasonSubmissionBody,
  signedHeaders,
  slashCommandBody,
} from '../../helpers/slack-requests.js';

const SECRET = 'revocation-e2e-signing-secret-0123';
const text = (v: unknown) => JSON.stringify(v);

describe('approve-to-revoke end to end (signed Slack requests, fake Slack, IDmelon sandbox, dynalite)', () => {
  const slack = new FakeSlack();
  const metrics = new RecordingMetrics();
  let bot: LocalBot;
  let sandbox: IdmelonSandbox;
  let trigger = 0;

  beforeAll(async () => {
    await slack.start();
    bot = await startLocalBot({
      env: {
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: 'xoxb-revocation-e2e-0123',
        SLACK_API_URL: slack.apiUrl,
        KEYWARDEN_ADMINS: 'UADMIN1,UADMIN2',
        KEYWARDEN_APPROVERS: 'UADMIN1,UADMIN2',
        KEYWARDEN_APPROVER_GROUP: 'SAPPROVERS',
        KEYWARDEN_APPROVALS_CHANNEL: 'CAPPROVALS',
        KEYWARDEN_AUDIT_CHANNEL: 'CAUDIT',
        // All 50 approvers' presses become jobs and race for the one approval (the default global cap is 20).
        KEYWARDEN_MAX_JOBS: '60',
      },
      port: 0,
      dataDir: null,
      clock,
      sandbox: { users: 300, keys: 900, logs: 0 },
      vendors: ['idmelon'],
      logger: jsonLogger({ level: 'debug' }),
      metrics,
    });
    // Approver group membership is cached for a minute, so every member the tests use is in it from the start.
    slack.groups.set('SAPPROVERS', ['UGROUPAPPROVER', ...Array.from({ length: 50 }, (_, i) => `UGA${i}`)]);
    if (!bot.sandbox) throw new Error('expected the embedded IDmelon sandbox');
    sandbox = bot.sandbox;
  });
  afterAll(async () => {
    await bot.close();
    await slack.close();
  });
  // A job gives its work slot back just after it answers; the next test's identical scan must not find it running.
  afterEach(() => bot.queue.idle());

  async function press(user: string, button: Button, channel: string, triggerId?: string) {
    const responseUrl = slack.responseUrl();
    const body = pressBody(user, button, channel, responseUrl, triggerId ?? `trigger-${++trigger}-${user}`);
    expect((await post(bot.url, body, signedHeaders(SECRET, body))).status).toBe(200);
    return responseUrl;
  }

  /** Presses a button that opens a modal; the modal Slack showed, or undefined (and the press's answer). */
  async function openModal(user: string, button: Button, channel: string) {
    const triggerId = `trigger-${++trigger}-${user}`;
    const reply = await press(user, button, channel, triggerId);
    return { modal: slack.viewOpenedBy(triggerId), reply };
  }

  /** Submits a modal with one reason input, as `user`; the HTTP answer (field errors, or nothing). */
  async function submit(
    user: string,
    modal: { id: string; view: Record<string, unknown> },
    reason: string | null,
  ) {
    const body = reasonSubmissionBody(user, modal, reason);
    const res = await post(bot.url, body, signedHeaders(SECRET, body));
    expect(res.status).toBe(200);
    return res;
  }

  /** Opens a modal and expects it open. */
  async function modalFor(user: string, button: Button, channel: string) {
    const { modal } = await openModal(user, button, channel);
    if (!modal) throw new Error(`${button.action_id} opened no modal for ${user}`);
    return modal;
  }

  const ephemeralsTo = (user: string) =>
    slack.callsOf('chat.postEphemeral').filter((c) => c.args.user === user);

  async function staleList(command = 'stale 90') {
    const responseUrl = slack.responseUrl();
    const body = slashCommandBody({
      command: '/keys',
      text: command,
      user_id: 'UADMIN1',
      response_url: responseUrl,
    });
    expect((await post(bot.url, body, signedHeaders(SECRET, body))).status).toBe(200);
    await slack.waitFor(() => slack.postsTo(responseUrl).length > 0);
    return slack.postsTo(responseUrl)[0]?.blocks as Block[];
  }

  /** Presses the button, gives the modal a reason, and returns the request it made once it is posted. */
  async function requestFor(button: Button, reason: string | null = 'the owners left the company') {
    const posts = slack.callsOf('chat.postMessage').length;
    const replies = ephemeralsTo('UADMIN1').length;
    const modal = await modalFor('UADMIN1', button, 'C0ADMINS');
    expect((await submit('UADMIN1', modal, reason)).json).toBeUndefined();
    await slack.waitFor(
      () => slack.callsOf('chat.postMessage').length > posts && ephemeralsTo('UADMIN1').length > replies,
    );
    const approval = slack
      .callsOf('chat.postMessage')
      .slice(posts)
      .find((c) => c.args.channel === 'CAPPROVALS');
    if (!approval) throw new Error('no approval message');
    const blocks = approval.args.blocks as Block[];
    const id = /Revocation request (R-[0-9A-Z]{8})/.exec(text(blocks))?.[1] as string;
    const ts = slack.callsOf('chat.postMessage').indexOf(approval);
    return { id, blocks, reply: ephemeralsTo('UADMIN1')[replies]?.args, approval, ts, modal };
  }

  async function lastUpdate(requestId: string) {
    return slack
      .callsOf('chat.update')
      .filter((c) => text(c.args.blocks).includes(requestId))
      .at(-1);
  }

  it('a stale list offers "Request revocation" on every row and "Request revocation of all N", each opening a modal', async () => {
    const blocks = await staleList();
    expect(blockLimitViolations(blocks)).toEqual([]);
    const all = buttons(blocks);
    expect(all.filter((b) => b.action_id === 'revoke_key')).toHaveLength(20);
    const bulk = all.find((b) => b.action_id === 'revoke_stale') as Button & { confirm?: unknown };
    // The modal asks for the reason and says what will be requested; no confirmation dialog comes first.
    expect(bulk.confirm).toBeUndefined();
    const allModal = await modalFor('UADMIN1', bulk, 'C0ADMINS');
    expect(text(allModal.view)).toMatch(
      /A request for \*IDmelon: [\d,]+ keys unused for 90\+ days\* goes to/,
    );
    expect(text(allModal.view)).toContain('Nothing is revoked until a second admin approves');
    expect(allModal.view).toMatchObject({ blocks: [{}, { block_id: 'reason', optional: false }] });
    const row = all.find((b) => b.action_id === 'revoke_key') as Button;
    const keyModal = await modalFor('UADMIN1', row, 'C0ADMINS');
    expect(text(keyModal.view)).toContain(`A request to revoke *`);
    expect(text(keyModal.view)).toContain(`(IDmelon, id ${JSON.parse(row.value).id})`);
    expect(keyModal.view).toMatchObject({ blocks: [{}, { block_id: 'reason', optional: true }] });
    // Only admins get the modal.
    const { modal, reply } = await openModal('UINTRUDER', row, 'C0ADMINS');
    expect(modal).toBeUndefined();
    await slack.waitFor(() => slack.postsTo(reply).length > 0);
    expect(text(slack.postsTo(reply)[0]?.blocks)).toContain('this is for Keywarden admins');
    // Both modals were closed without submitting: nothing was recorded or posted.
    await bot.queue.idle();
    expect(await bot.requests.listOpen()).toEqual([]);
    expect(slack.callsOf('chat.postMessage').filter((c) => c.args.channel === 'CAPPROVALS')).toEqual([]);
  });

  it('"all N": a missing reason and a non-admin submitter are refused in the modal; submitted twice, one request with the reason', async () => {
    const bulk = buttons(await staleList('stale 90 phone')).find(
      (b) => b.action_id === 'revoke_stale',
    ) as Button;
    const modal = await modalFor('UADMIN1', bulk, 'C0ADMINS');
    expect(text(modal.view)).toContain('(phone only)');
    const open = async () => (await bot.requests.listOpen()).length;
    const approvals = () => slack.callsOf('chat.postMessage').filter((c) => c.args.channel === 'CAPPROVALS');
    const before = { open: await open(), approvals: approvals().length };

    for (const empty of [null, '', '   \n ']) {
      const refused = await submit('UADMIN1', modal, empty);
      expect(refused.json).toMatchObject({
        response_action: 'errors',
        errors: { reason: expect.stringContaining('Say why these keys should be revoked') },
      });
    }
    const tooLong = await submit('UADMIN1', modal, 'x'.repeat(501));
    expect(tooLong.json).toMatchObject({
      response_action: 'errors',
      errors: { reason: 'Keep it to 500 characters (this is 501).' },
    });
    // Whoever opened the modal, the submitter is checked: someone who is not an admin records nothing.
    const intruder = await submit('UINTRUDER', modal, 'revoke them all');
    expect(intruder.json).toMatchObject({
      response_action: 'errors',
      errors: { reason: expect.stringContaining('Only Keywarden admins can request revocation') },
    });
    await bot.queue.idle();
    expect({ open: await open(), approvals: approvals().length }).toEqual(before);

    // Slack delivers the same submission twice (a double click, a retry): one request.
    const reason = 'phones of people who left in the spring';
    const twice = await Promise.all([submit('UADMIN1', modal, reason), submit('UADMIN1', modal, reason)]);
    for (const res of twice) expect(res.json).toBeUndefined();
    await bot.queue.idle();
    await submit('UADMIN1', modal, reason);
    await bot.queue.idle();
    expect(await open()).toBe(before.open + 1);
    const posted = approvals().slice(before.approvals);
    expect(posted).toHaveLength(1);
    expect(text(posted[0]?.args.blocks)).toContain(`Reason: ${reason}`);
    const id = /Revocation request (R-[0-9A-Z]{8})/.exec(text(posted[0]?.args.blocks))?.[1] as string;
    expect(await bot.requests.get(id)).toMatchObject({
      requester: 'UADMIN1',
      reason,
      origin: { channel: 'C0ADMINS', user: 'UADMIN1' },
    });
    expect(ephemeralsTo('UADMIN1').some((c) => text(c.args.blocks).includes(`*${id}*: `))).toBe(true);
  });

  it('one key: request → self-approval refused → non-approver refused → approved by a second admin → one DELETE', async () => {
    const row = buttons(await staleList()).find((b) => b.action_id === 'revoke_key') as Button;
    const keyId = JSON.parse(row.value).id as string;
    const req = await requestFor(row, null);
    expect(req.id).toMatch(/^R-/);
    expect(blockLimitViolations(req.blocks)).toEqual([]);
    expect(req.reply?.channel).toBe('C0ADMINS');
    expect(text(req.reply?.blocks)).toContain('Request waiting for a second admin in <#CAPPROVALS>');
    expect(text(req.reply?.blocks)).toContain(`*${req.id}*: 1 key in IDmelon unused for 90+ days`);
    // The approver is told exactly what was checked, and when.
    expect(text(req.blocks)).toMatch(
      /Keywarden read every key from IDmelon .*each was last used before \d{4}-\d\d-\d\d or never used/,
    );
    expect(text(req.blocks)).toContain(
      'Needs one approver other than <@UADMIN1>: <@UADMIN2>, members of <!subteam^SAPPROVERS>',
    );
    const approve = buttons(req.blocks).find((b) => b.action_id === 'approval_approve') as Button;

    const self = await press('UADMIN1', approve, 'CAPPROVALS');
    await slack.waitFor(() => slack.postsTo(self).length > 0);
    expect(text(slack.postsTo(self)[0]?.blocks)).toContain(
      `You asked for ${req.id}, so a second admin has to approve it.`,
    );
    expect(slack.postsTo(self)[0]).toMatchObject({ replace_original: false, response_type: 'ephemeral' });

    const intruder = await press('UINTRUDER', approve, 'CAPPROVALS');
    await slack.waitFor(() => slack.postsTo(intruder).length > 0);
    expect(text(slack.postsTo(intruder)[0]?.blocks)).toContain(
      `You cannot approve ${req.id}: Only Keywarden's approvers can do this.`,
    );
    expect(sandbox.routes.deletions).not.toContain(keyId);

    await press('UADMIN2', approve, 'CAPPROVALS');
    await bot.queue.idle();
    expect(sandbox.routes.deletions.filter((d) => d === keyId)).toHaveLength(1);
    expect(
      sandbox.server.requests.filter((r) => r.method === 'DELETE' && r.path.endsWith(keyId)),
    ).toHaveLength(1);
    const final = await lastUpdate(req.id);
    expect(text(final?.args.blocks)).toContain('Approved by <@UADMIN2>');
    expect(text(final?.args.blocks)).toContain('1 deleted');
    expect(blockLimitViolations(final?.args.blocks as Block[])).toEqual([]);
    const thread = slack
      .callsOf('chat.postMessage')
      .find((c) => c.args.thread_ts && text(c.args.blocks).includes(req.id));
    expect(text(thread?.args.blocks)).toContain(
      `<@UADMIN1> your request ${req.id} was approved by <@UADMIN2> and carried out: 1 deleted`,
    );
    const audit = slack
      .callsOf('chat.postMessage')
      .find((c) => c.args.channel === 'CAUDIT' && text(c.args.blocks).includes(req.id));
    expect(text(audit?.args.blocks)).toContain('approved by <@UADMIN2>: 1 deleted');
  });

  it('deny with a reason: the message, the requester’s notice and the audit line say who and why; nothing is deleted', async () => {
    const row = buttons(await staleList()).filter((b) => b.action_id === 'revoke_key')[1] as Button;
    const keyId = JSON.parse(row.value).id as string;
    const req = await requestFor(row);
    const deny = buttons(req.blocks).find((b) => b.action_id === 'approval_deny') as Button;
    const modal = await modalFor('UGROUPAPPROVER', deny, 'CAPPROVALS');
    expect(text(modal.view)).toContain(`Deny *${req.id}*?`);
    // A reason is required, 3 characters at least; the modal stays open with the error.
    const tooShort = await submit('UGROUPAPPROVER', modal, ' no ');
    expect(tooShort.json).toMatchObject({
      response_action: 'errors',
      errors: { reason: expect.any(String) },
    });
    const tooLong = await submit('UGROUPAPPROVER', modal, 'x'.repeat(501));
    expect(tooLong.json).toMatchObject({
      response_action: 'errors',
      errors: { reason: expect.stringContaining('500 characters') },
    });
    await bot.queue.idle();
    expect(await bot.requests.get(req.id)).toMatchObject({ state: 'pending' });

    await submit('UGROUPAPPROVER', modal, 'still in use by <!channel> on-call *daily*');
    await bot.queue.idle();
    const shown = 'still in use by &lt;!channel&gt; on-call ∗daily∗';
    const message = text((await lastUpdate(req.id))?.args.blocks);
    expect(message).toContain('Denied by <@UGROUPAPPROVER>');
    expect(message).toContain('Reason: the owners left the company');
    expect(message).toContain(`Reason for denying: ${shown}`);
    expect(sandbox.routes.deletions).not.toContain(keyId);
    expect(await bot.requests.get(req.id)).toMatchObject({
      state: 'denied',
      deniedBy: 'UGROUPAPPROVER',
      denyReason: 'still in use by <!channel> on-call *daily*',
    });
    const thread = slack
      .callsOf('chat.postMessage')
      .find((c) => c.args.thread_ts && text(c.args.blocks).includes(`${req.id} was denied`));
    expect(text(thread?.args.blocks)).toContain(`Reason for denying: ${shown}`);
    const audit = slack
      .callsOf('chat.postMessage')
      .find((c) => c.args.channel === 'CAUDIT' && text(c.args.blocks).includes(req.id));
    expect(text(audit?.args.blocks)).toContain('denied by <@UGROUPAPPROVER>');
    expect(text(audit?.args.blocks)).toContain('Reason: the owners left the company');
    expect(text(audit?.args.blocks)).toContain(`Reason for denying: ${shown}`);
    expect(text([thread, audit, await lastUpdate(req.id)])).not.toContain('<!channel>');
  });

  it('Deny: a non-approver neither gets the modal nor can submit it, and nothing changes', async () => {
    const row = buttons(await staleList()).filter((b) => b.action_id === 'revoke_key')[3] as Button;
    const req = await requestFor(row);
    const deny = buttons(req.blocks).find((b) => b.action_id === 'approval_deny') as Button;
    const { modal, reply } = await openModal('UINTRUDER', deny, 'CAPPROVALS');
    expect(modal).toBeUndefined();
    await slack.waitFor(() => slack.postsTo(reply).length > 0);
    expect(text(slack.postsTo(reply)[0]?.blocks)).toContain(
      `You cannot deny ${req.id}: Only Keywarden's approvers can do this.`,
    );
    // A submission of an approver's modal by someone else (a forged or replayed payload) is refused too.
    const approverModal = await modalFor('UADMIN2', deny, 'CAPPROVALS');
    const refused = await submit('UINTRUDER', approverModal, 'I do not like it');
    expect(refused.json).toMatchObject({
      response_action: 'errors',
      errors: { reason: expect.stringContaining(`You cannot deny ${req.id}`) },
    });
    await bot.queue.idle();
    expect(await bot.requests.get(req.id)).toMatchObject({ state: 'pending' });
    expect(await bot.requests.get(req.id)).not.toHaveProperty('denyReason');
  });

  it('Retry now: refused to a non-approver, and resumes a request that stopped part-way for an approver', async () => {
    const row = buttons(await staleList()).filter((b) => b.action_id === 'revoke_key')[2] as Button;
    const keyId = JSON.parse(row.value).id as string;
    metrics.clear();
    const req = await requestFor(row);
    const approve = buttons(req.blocks).find((b) => b.action_id === 'approval_approve') as Button;
    // IDmelon refuses every DELETE: the run stops part-way and the request goes back to "approved".
    sandbox.inject({ fault: { kind: 'status', status: 503 }, match: (r) => r.method === 'DELETE' });
    try {
      await press('UADMIN2', approve, 'CAPPROVALS');
      await slack.waitFor(
        () =>
          text(
            slack
              .callsOf('chat.update')
              .filter((c) => text(c.args.blocks).includes(req.id))
              .at(-1)?.args.blocks,
          )?.includes('stopped part-way') ?? false,
        20_000,
        'the stopped message',
      );
      // The queue delivers the approval again a few times; let it give up while IDmelon still refuses.
      await bot.queue.idle();
    } finally {
      sandbox.server.clearFaults();
    }
    expect(sandbox.routes.deletions).not.toContain(keyId);
    const stopped = await lastUpdate(req.id);
    const retry = buttons(stopped?.args.blocks as Block[]).find(
      (b) => b.action_id === 'approval_retry',
    ) as Button;
    expect(retry).toBeDefined();

    const intruder = await press('UINTRUDER', retry, 'CAPPROVALS');
    await slack.waitFor(() => slack.postsTo(intruder).length > 0);
    expect(text(slack.postsTo(intruder)[0]?.blocks)).toContain(`You cannot retry ${req.id}`);
    await bot.queue.idle();
    expect(sandbox.routes.deletions).not.toContain(keyId);

    await press('UADMIN1', retry, 'CAPPROVALS');
    await bot.queue.idle();
    expect(sandbox.routes.deletions.filter((d) => d === keyId)).toHaveLength(1);
    expect(text((await lastUpdate(req.id))?.args.blocks)).toContain('1 deleted');
    // Requested, approved, stopped part-way (once per delivery of the approval), then one key revoked.
    expect(metrics.total('RevocationsRequested')).toBe(1);
    expect(metrics.total('RevocationsApproved')).toBe(1);
    expect(metrics.total('RevocationsFailed')).toBeGreaterThanOrEqual(1);
    expect(metrics.find('KeysRevoked')).toEqual([
      { name: 'KeysRevoked', dimensions: { vendor: 'idmelon' }, value: 1 },
    ]);
    expect(metrics.find('VendorServerErrors', { vendor: 'idmelon' }).length).toBeGreaterThan(0);
  });

  it('all stale keys, 50 approvers pressing at once: one approval, one DELETE per key, one outcome', async () => {
    const all = buttons(await staleList()).find((b) => b.action_id === 'revoke_stale') as Button;
    const req = await requestFor(all);
    expect(await bot.requests.get(req.id)).toMatchObject({ reason: 'the owners left the company' });
    const approve = buttons(req.blocks).find((b) => b.action_id === 'approval_approve') as Button;
    const updatesBefore = slack.callsOf('chat.update').length;
    const approvers = Array.from({ length: 50 }, (_, i) => `UGA${i}`);
    const deletedBefore = sandbox.routes.deletions.length;
    metrics.clear();
    await Promise.all(approvers.map((u) => press(u, approve, 'CAPPROVALS')));
    await bot.queue.idle();
    const deletions = sandbox.routes.deletions;
    expect(new Set(deletions).size).toBe(deletions.length);
    // One approval counted, and each key revoked counted once, whichever job carried out which slice.
    expect(metrics.total('RevocationsApproved')).toBe(1);
    expect(metrics.total('Commands', { kind: 'revoke.decide' })).toBe(50);
    expect(metrics.total('KeysRevoked', { vendor: 'idmelon' })).toBe(deletions.length - deletedBefore);
    const cutoff = clock.now().getTime() - 90 * 86_400_000;
    const stillStale = sandbox.workspace.keys.filter(
      (k) => k.status === 20 && (k.lastActivityAt === null || Date.parse(k.lastActivityAt) < cutoff),
    );
    expect(stillStale).toEqual([]);
    const done = slack
      .callsOf('chat.update')
      .slice(updatesBefore)
      .filter((c) => text(c.args.blocks).includes(':white_check_mark:'));
    expect(done).toHaveLength(1);
    const requesterNotices = slack
      .callsOf('chat.postMessage')
      .filter((c) => c.args.thread_ts && text(c.args.blocks).includes(`${req.id} was approved`));
    expect(requesterNotices).toHaveLength(1);
    expect(slack.callsOf('files.completeUploadExternal').some((c) => c.args.thread_ts)).toBe(true);
  });
});
