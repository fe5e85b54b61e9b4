import { startLocalBot } from '../src/local/bot.js';
import { jsonLogger } from '../src/log.js';
import { FakeSlack } from '../test/helpers/fake-slack.js';
import {
  type Button,
  buttons,
  pressAndSubmit,
  pressBody,
  signedHeaders,
  slashCommandBody,
} from '../test/helpers/slack-requests.js';
import { ms, type Section, timed } from './lib.js';

const SECRET = 'bench-approvals-signing-secret-01';
const APPROVERS = 50;

/** The button with this action_id in a message; the bench cannot go on without it. */
function findButton(blocks: unknown, actionId: string): Button {
  const found = buttons((blocks ?? []) as Array<Record<string, unknown>>).find(
    (b) => b.action_id === actionId,
  );
  if (!found) throw new Error(`no ${actionId} button`);
  return found;
}

/** Issue 8's figure: 50 approvers press Approve on one request at once; exactly one execution follows. */
export async function benchApprovals(): Promise<Section> {
  const slack = await new FakeSlack().start();
  const approvers = Array.from({ length: APPROVERS }, (_, i) => `UAPPROVER${i}`);
  const bot = await startLocalBot({
    env: {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-bench-approvals-0123',
      SLACK_API_URL: slack.apiUrl,
      KEYWARDEN_ADMINS: 'UADMIN1',
      KEYWARDEN_APPROVERS: approvers.join(','),
      KEYWARDEN_APPROVALS_CHANNEL: 'CAPPROVALS',
      // Every press becomes a job, so all of them race for the one execution (the global cap would hold most back).
      KEYWARDEN_MAX_JOBS: String(APPROVERS),
    },
    port: 0,
    dataDir: null,
    vendors: ['idmelon'],
    logger: jsonLogger({ level: 'error', write: () => {} }),
  });
  let trigger = 0;
  const send = async (body: string) => {
    const res = await fetch(`${bot.url}/slack/events`, {
      method: 'POST',
      body,
      headers: signedHeaders(SECRET, body),
    });
    await res.text();
    return res.status;
  };
  const press = (user: string, button: Button, channel: string) =>
    send(pressBody(user, button, channel, slack.responseUrl(), `bench-${++trigger}`));
  try {
    const listUrl = slack.responseUrl();
    await send(
      slashCommandBody({ command: '/keys', text: 'stale 90', user_id: 'UADMIN1', response_url: listUrl }),
    );
    await slack.waitFor(() => slack.postsTo(listUrl).length > 0, 60_000);
    await pressAndSubmit({
      url: bot.url,
      secret: SECRET,
      slack,
      user: 'UADMIN1',
      button: findButton(slack.postsTo(listUrl)[0]?.blocks, 'revoke_stale'),
      channel: 'C0ADMINS',
      triggerId: `bench-${++trigger}`,
      reason: 'every stale key, for the approvals bench',
    });
    await slack.waitFor(
      () => slack.callsOf('chat.postMessage').some((c) => c.args.channel === 'CAPPROVALS'),
      60_000,
    );
    const approval = slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'CAPPROVALS');
    const keys = Number(
      /to revoke \*([\d,]+) keys?\*/.exec(JSON.stringify(approval?.args.blocks))?.[1]?.replace(/,/g, ''),
    );
    const approve = findButton(approval?.args.blocks, 'approval_approve');
    const before = bot.sandbox?.routes.deletions.length ?? 0;
    const { ms: elapsed, result: statuses } = await timed(async () => {
      const s = await Promise.all(approvers.map((u) => press(u, approve, 'CAPPROVALS')));
      await bot.queue.idle();
      return s;
    });
    const deletions = (bot.sandbox?.routes.deletions ?? []).slice(before);
    const executions = slack
      .callsOf('chat.update')
      .filter((c) => JSON.stringify(c.args.blocks).includes(':white_check_mark:')).length;
    const maxPerKey = Math.max(
      0,
      ...[
        ...deletions.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>()).values(),
      ],
    );
    return {
      title: 'Approvals under load (issue 8)',
      setup: `embedded sandbox (6 000 keys); one request for every stale key (${keys.toLocaleString('en-US')}); ${APPROVERS} approvers press Approve at once over signed HTTP`,
      rows: [
        {
          measure: 'presses acknowledged',
          value: `${statuses.filter((s) => s === 200).length} of ${APPROVERS}`,
          goal: `${APPROVERS} of ${APPROVERS}`,
          met: statuses.every((s) => s === 200),
        },
        {
          measure: 'executions (outcomes posted)',
          value: String(executions),
          goal: '1',
          met: executions === 1,
        },
        {
          measure: 'keys deleted',
          value: `${deletions.length.toLocaleString('en-US')} of ${keys.toLocaleString('en-US')}`,
          goal: 'all',
          met: deletions.length === keys,
        },
        { measure: 'most DELETEs of one key', value: String(maxPerKey), goal: '1', met: maxPerKey === 1 },
        { measure: 'presses to final outcome', value: ms(elapsed), goal: '' },
      ],
    };
  } finally {
    await bot.close();
    await slack.close();
  }
}
