import type { Block } from '../../src/blocks/limits.js';
import { runCli } from '../../src/cli/run.js';
import type { LocalBot } from '../../src/local/bot.js';
import type { FakeSlack } from './fake-slack.js';
import {
  type Button,
  buttons,
  post,
  pressAndSubmit,
  pressBody,
  signedHeaders,
  slashCommandBody,
} from './slack-requests.js';

/** `keywarden <argv>` on a data directory, stdout and stderr together. */
export async function auditCli(argv: string[], dataDir: string): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runCli(argv, {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      out += t;
    },
    env: {},
    dataDir,
  });
  return { code, out };
}

/**
 * What two admins do in Slack to revoke one stale key: UADMIN1 lists stale keys and requests the first one's
 * revocation with `reason`; UADMIN2 approves it in CAPPROVALS; the worker carries it out.
 */
export async function revokeOneStaleKey(
  bot: LocalBot,
  slack: FakeSlack,
  secret: string,
  options: { reason: string; triggers: string },
): Promise<void> {
  const hook = slack.responseUrl();
  const body = slashCommandBody({
    command: '/keys',
    text: 'stale 90',
    user_id: 'UADMIN1',
    response_url: hook,
  });
  await post(bot.url, body, signedHeaders(secret, body));
  await bot.queue.idle();
  const row = buttons((slack.postsTo(hook).at(-1)?.blocks ?? []) as Block[]).find(
    (b) => b.action_id === 'revoke_key',
  ) as Button;
  await pressAndSubmit({
    url: bot.url,
    secret,
    slack,
    user: 'UADMIN1',
    button: row,
    channel: 'C0ADMINS',
    triggerId: `${options.triggers}-request`,
    reason: options.reason,
  });
  await bot.queue.idle();
  const posted = slack.callsOf('chat.postMessage').filter((c) => c.args.channel === 'CAPPROVALS');
  const approve = buttons((posted.at(-1)?.args.blocks ?? []) as Block[]).find(
    (b) => b.action_id === 'approval_approve',
  ) as Button;
  const press = pressBody(
    'UADMIN2',
    approve,
    'CAPPROVALS',
    slack.responseUrl(),
    `${options.triggers}-approve`,
  );
  await post(bot.url, press, signedHeaders(secret, press));
  await bot.queue.idle();
}

/** `/keys audit 7` typed by `user`: the answer Slack was sent, as JSON text. */
export async function shownAudit(
  bot: LocalBot,
  slack: FakeSlack,
  secret: string,
  user: string,
): Promise<string> {
  const hook = slack.responseUrl();
  const body = slashCommandBody({ command: '/keys', text: 'audit 7', user_id: user, response_url: hook });
  await post(bot.url, body, signedHeaders(secret, body));
  await bot.queue.idle();
  return JSON.stringify(slack.postsTo(hook).at(-1));
}
