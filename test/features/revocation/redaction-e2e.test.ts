import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdmelonSandbox } from '../../../sandbox/idmelon/index.js';
import type { Block } from '../../../src/blocks/limits.js';
import { type LocalBot, startLocalBot } from '../../../src/local/bot.js';
import { jsonLogger } from '../../../src/log.js';
import { STORED_ERROR_MAX } from '../../../src/store/requests.js';
import { FakeSlack } from '../../helpers/fake-slack.js';
import { clock } from '../../helpers/idmelon.js';
import {
  type Button,
  buttons,
  post,
  pressAndSubmit,
  pressBody,
  signedHeaders,
  slashCommandBody,
} from '../../helpers/slack-requests.js';

const SECRET = 'redaction-e2e-signing-secret-0123';
const text = (v: unknown) => JSON.stringify(v);

/**
 * The attack: IDmelon answers the revocation DELETE with an error whose body quotes the request's
 * Authorization header (the Admin API key) inside a very long message. The key is the embedded sandbox's, which the
 * test log capture treats as a secret, so a log line that carried it would fail this file too. The test's own
 * logger has no redactor: the logs are clean only if the text was made safe before it was logged.
 */
describe('a vendor error that echoes the Admin API key, through an approved revocation end to end', () => {
  const slack = new FakeSlack();
  let bot: LocalBot;
  let sandbox: IdmelonSandbox;
  let trigger = 0;

  beforeAll(async () => {
    await slack.start();
    bot = await startLocalBot({
      env: {
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: 'xoxb-redaction-e2e-0123',
        SLACK_API_URL: slack.apiUrl,
        KEYWARDEN_ADMINS: 'UADMIN1,UADMIN2',
        KEYWARDEN_APPROVERS: 'UADMIN1,UADMIN2',
        KEYWARDEN_APPROVALS_CHANNEL: 'CAPPROVALS',
        KEYWARDEN_AUDIT_CHANNEL: 'CAUDIT',
      },
      port: 0,
      dataDir: null,
      clock,
      sandbox: { users: 40, keys: 120, logs: 0 },
      vendors: ['idmelon'],
      logger: jsonLogger({ level: 'debug' }),
    });
    if (!bot.sandbox) throw new Error('expected the embedded IDmelon sandbox');
    sandbox = bot.sandbox;
  });
  afterAll(async () => {
    await bot.close();
    await slack.close();
  });

  async function press(user: string, button: Button, channel: string) {
    const responseUrl = slack.responseUrl();
    const body = pressBody(user, button, channel, responseUrl, `trigger-${++trigger}-${user}`);
    expect((await post(bot.url, body, signedHeaders(SECRET, body))).status).toBe(200);
    return responseUrl;
  }

  /** A request for one stale key, posted in the approvals channel and waiting for a second admin. */
  async function requestOneKey(row: number) {
    const listed = slack.responseUrl();
    const body = slashCommandBody({
      command: '/keys',
      text: 'stale 90',
      user_id: 'UADMIN1',
      response_url: listed,
    });
    expect((await post(bot.url, body, signedHeaders(SECRET, body))).status).toBe(200);
    await slack.waitFor(() => slack.postsTo(listed).length > 0);
    const rows = buttons(slack.postsTo(listed)[0]?.blocks as Block[]).filter(
      (b) => b.action_id === 'revoke_key',
    );
    const button = rows[row] as Button;
    const before = slack.callsOf('chat.postMessage').length;
    await pressAndSubmit({
      url: bot.url,
      secret: SECRET,
      slack,
      user: 'UADMIN1',
      button,
      channel: 'C0ADMINS',
      triggerId: `trigger-${++trigger}-request`,
      reason: null,
    });
    await slack.waitFor(() =>
      slack
        .callsOf('chat.postMessage')
        .slice(before)
        .some((c) => c.args.channel === 'CAPPROVALS'),
    );
    const approval = slack
      .callsOf('chat.postMessage')
      .slice(before)
      .find((c) => c.args.channel === 'CAPPROVALS');
    const id = /Revocation request (R-[0-9A-Z]{8})/.exec(text(approval?.args.blocks))?.[1] as string;
    const approve = buttons(approval?.args.blocks as Block[]).find(
      (b) => b.action_id === 'approval_approve',
    ) as Button;
    return { id, keyId: JSON.parse(button.value).id as string, approve };
  }

  /** Everything the fake Slack received: Web API calls, response_url posts and uploaded files. */
  const received = () => text([slack.calls, slack.responses, [...slack.uploads.values()]]);

  it.each([
    [
      400,
      'IDmelon rejected the request as invalid (400)',
      'IDmelon rejected the request as invalid (400): Refused. Request headers: {"Authorization": "[redacted]"}',
    ],
    [
      503,
      'IDmelon is failing (server error)',
      'IDmelon is failing (server error) after 4 attempts. Try again later.',
    ],
  ])(
    'a %i that echoes the key: Slack, the stored request and the logs never hold it',
    async (status, vendorAndStatus, sentence) => {
      const key = sandbox.apiKey;
      const { id, keyId, approve } = await requestOneKey(status === 400 ? 0 : 1);
      sandbox.inject({
        match: (r) => r.method === 'DELETE' && r.path.endsWith(`/${keyId}`),
        fault: {
          kind: 'status',
          status,
          body: {
            message: `Refused. Request headers: {"Authorization": "${key}"}\n${'Stack frame at handler.js:42\n'.repeat(2_000)}`,
          },
        },
      });

      const reply = await press('UADMIN2', approve, 'CAPPROVALS');
      await bot.queue.idle();
      sandbox.server.clearFaults();

      // The vendor was asked, refused, and nothing was deleted.
      expect(sandbox.server.requests.some((r) => r.method === 'DELETE' && r.path.endsWith(keyId))).toBe(true);
      expect(sandbox.routes.deletions).not.toContain(keyId);

      // Nothing sent to Slack holds the key, in any form the redactor knows.
      for (const form of [key, encodeURIComponent(key), Buffer.from(key).toString('base64')])
        expect(received()).not.toContain(form);

      // The approver is told in one sentence that names the vendor and what it answered.
      const told = slack.postsTo(reply).map((p) => String(p.text));
      expect(told.some((t) => t.startsWith(`${id} stopped part-way: ${sentence}`))).toBe(true);
      const update = slack
        .callsOf('chat.update')
        .filter((c) => text(c.args.blocks).includes(id))
        .at(-1);
      expect(text(update?.args.blocks)).toContain(`stopped part-way: ${vendorAndStatus}`);

      // What DynamoDB holds is redacted and bounded.
      const request = await bot.requests.get(id);
      const [stored] = await bot.requests.keys(id);
      expect(request).toMatchObject({ state: 'approved' });
      expect(stored).toMatchObject({ id: keyId, outcome: 'failed' });
      for (const error of [request?.lastError, stored?.detail]) {
        expect(error?.startsWith(sentence)).toBe(true);
        expect(error).not.toContain(key);
        expect(error?.length).toBeLessThanOrEqual(STORED_ERROR_MAX);
        expect(error).not.toMatch(/[\n\r]/);
      }
    },
  );
});
