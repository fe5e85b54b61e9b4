import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBot, startLocalBot } from '../../src/local/bot.js';
import { jsonLogger, SecretRedactor } from '../../src/log.js';
import { ResponseUrlError } from '../../src/slack/api.js';
import { webApiSlack } from '../../src/slack/web-api.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { clock } from '../helpers/idmelon.js';
import { pressAndSubmit } from '../helpers/slack-requests.js';

const message = { text: 'hello', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hello' } }] };

/** Slack failing underneath Keywarden, against the fake Slack. */
describe('Slack faults', () => {
  const slack = new FakeSlack();
  const logger = jsonLogger({ level: 'debug' });
  const api = () =>
    webApiSlack({
      token: async () => 'xoxb-faults-0123456789',
      slackApiUrl: slack.apiUrl,
      logger,
      redactor: new SecretRedactor(),
    });
  beforeAll(async () => {
    await slack.start();
  });
  afterAll(async () => {
    await slack.close();
  });

  it('waits out rate_limited (Retry-After) on chat.postMessage and chat.update, then succeeds', async () => {
    slack.fail('chat.postMessage', 'rate_limited', 1, 1);
    slack.fail('chat.update', 'rate_limited', 1, 1);
    const posted = await api().postMessage('C1', message);
    await api().update('C1', posted.ts, message);
    expect(slack.callsOf('chat.postMessage')).toHaveLength(2);
    expect(slack.callsOf('chat.update')).toHaveLength(2);
  });

  it('reports invalid_blocks as a Slack error naming the code', async () => {
    slack.fail('chat.postMessage', 'invalid_blocks');
    await expect(api().postMessage('C1', message)).rejects.toMatchObject({ code: 'invalid_blocks' });
  });

  it('recognises an expired response_url, so callers can fall back', async () => {
    const url = slack.responseUrl();
    slack.expire(url);
    await expect(api().respond(url, message)).rejects.toBeInstanceOf(ResponseUrlError);
  });

  describe('a revocation request whose approval message Slack refuses', () => {
    let bot: LocalBot;
    beforeAll(async () => {
      bot = await startLocalBot({
        env: {
          SLACK_SIGNING_SECRET: 'faults-signing-secret-0123456789',
          SLACK_BOT_TOKEN: 'xoxb-faults-0123456789',
          SLACK_API_URL: slack.apiUrl,
          KEYWARDEN_ADMINS: 'UADMIN1',
          KEYWARDEN_APPROVERS: 'UADMIN2',
          KEYWARDEN_APPROVALS_CHANNEL: 'CAPPROVALS',
        },
        port: 0,
        dataDir: null,
        clock,
        vendors: ['idmelon'],
        sandbox: { users: 20, keys: 60, logs: 0 },
        logger,
      });
    });
    afterAll(async () => {
      await bot.close();
    });

    it('tells the requester the request is recorded but could not be posted', async () => {
      const key = bot.sandbox?.workspace.keys[0];
      slack.fail('chat.postMessage', 'invalid_blocks', 3);
      await pressAndSubmit({
        url: bot.url,
        secret: 'faults-signing-secret-0123456789',
        slack,
        user: 'UADMIN1',
        button: {
          action_id: 'revoke_key',
          value: JSON.stringify({ v: 'idmelon', id: key?._id, o: key?.ownerId }),
        },
        channel: 'C0ADMINS',
        triggerId: 'trigger-faults-1',
        reason: null,
      });
      await bot.queue.idle();
      slack.clearFailures();
      const told = slack
        .callsOf('chat.postEphemeral')
        .filter((c) => c.args.user === 'UADMIN1' && c.args.channel === 'C0ADMINS');
      expect(JSON.stringify(told.map((c) => c.args.blocks))).toMatch(
        /R-[0-9A-Z]{8} was recorded, but Keywarden could not post it in the approvals channel/,
      );
      expect(bot.sandbox?.routes.deletions).toEqual([]);
    });
  });
});
