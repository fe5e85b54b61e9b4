import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { Clock } from '../src/domain/clock.js';
import { startLocalBot } from '../src/local/bot.js';
import { jsonLogger } from '../src/log.js';
import { FakeSlack } from '../test/helpers/fake-slack.js';
import { median, ms, percentile, type Section } from './lib.js';

const USERS = 50;
const GOAL_P99_MS = 300;
const SECRET = 'bench-home-signing-secret-0123456';
const NOW = new Date('2026-11-23T12:00:00.000Z');
const run = promisify(execFile);

/**
 * The App Home under a burst: 50 people open it at once, from a separate process (bench/home-load.ts). Measured from
 * sending each signed `app_home_opened` to the fake Slack receiving that person's first `views.publish`: what they
 * wait for before the Home shows.
 */
export async function benchHome(): Promise<Section> {
  const slack = new FakeSlack();
  await slack.start();
  const clock: Clock = { now: () => NOW };
  const admins = Array.from({ length: 10 }, (_, i) => `UADMIN${i}`);
  const bot = await startLocalBot({
    env: {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-bench-home-0123',
      SLACK_API_URL: slack.apiUrl,
      KEYWARDEN_ADMINS: admins.join(','),
      KEYWARDEN_APPROVERS: admins.join(','),
      KEYWARDEN_APPROVALS_CHANNEL: 'CAPPROVALS',
    },
    port: 0,
    dataDir: null,
    clock,
    vendors: ['idmelon'],
    sandbox: { users: 2000, keys: 6000, logs: 0 },
    sweepEveryMs: 0,
    policyCheckEveryMs: 0,
    logger: jsonLogger({ level: 'error' }),
  });
  try {
    const people = bot.sandbox?.workspace.users.slice(0, USERS) ?? [];
    const ids = people.map((_, i) => (i < admins.length ? (admins[i] as string) : `UPERSON${i}`));
    for (const [i, p] of people.entries()) slack.users.push({ id: ids[i] as string, email: p.email });
    const started = performance.now();
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', new URL('./home-load.ts', import.meta.url).pathname, bot.url, ids.join(',')],
      { env: { ...process.env, SIGNING_SECRET: SECRET } },
    );
    const acked = performance.now() - started;
    const sent = new Map(Object.entries(JSON.parse(stdout) as Record<string, number>));
    const firstPublish = new Map<string, number>();
    for (const c of slack.callsOf('views.publish')) {
      const user = String(c.args.user_id);
      // The fake Slack stamps calls with this process's clock; the load process stamps sends with its own. Both are
      // made absolute (time origin + monotonic time) to compare them.
      if (!firstPublish.has(user) && c.at !== undefined)
        firstPublish.set(user, performance.timeOrigin + c.at);
    }
    const latencies = ids.map((u) => (firstPublish.get(u) ?? Number.NaN) - (sent.get(u) ?? 0));
    await bot.queue.idle();
    const refreshed = new Set(slack.callsOf('views.publish').map((c) => String(c.args.user_id)));
    const p99 = percentile(latencies, 99);
    // The floor: the same Home opened by one person at a time (what one event costs with nothing else running).
    const alone: number[] = [];
    for (let i = 0; i < 20; i++) {
      const user = ids[i % ids.length] as string;
      const before = slack.callsOf('views.publish').length;
      const { stdout: one } = await run(
        process.execPath,
        [
          '--import',
          'tsx',
          new URL('./home-load.ts', import.meta.url).pathname,
          bot.url,
          user,
          `EvAlone${i}`,
        ],
        { env: { ...process.env, SIGNING_SECRET: SECRET } },
      );
      const sentAt = (JSON.parse(one) as Record<string, number>)[user] ?? 0;
      const publish = slack
        .callsOf('views.publish')
        .slice(before)
        .find((c) => c.args.user_id === user);
      if (publish?.at !== undefined) alone.push(performance.timeOrigin + publish.at - sentAt);
      await bot.queue.idle();
    }
    return {
      title: 'App Home: first publish under a burst (issue 14)',
      setup: `${USERS} people (10 of them admins and approvers) open the Home at once; local bot, in-memory dynalite, IDmelon sandbox (6 000 keys), fake Slack on loopback`,
      rows: [
        {
          measure: 'first views.publish after the event, p50',
          value: ms(percentile(latencies, 50)),
          goal: '',
        },
        {
          measure: 'first views.publish after the event, p99',
          value: ms(p99),
          goal: `≤ ${GOAL_P99_MS} ms`,
          met: p99 <= GOAL_P99_MS,
        },
        { measure: 'one person at a time (the floor), median of 20', value: ms(median(alone)), goal: '' },
        { measure: 'all 50 events answered (the load process, start to end)', value: ms(acked), goal: '' },
        {
          measure: 'Homes published (first from storage, then refreshed with each person’s keys)',
          value: `${refreshed.size} of ${USERS}`,
          goal: `${USERS} of ${USERS}`,
          met: refreshed.size === USERS,
        },
      ],
      notes: [
        `Locally every event is handled on one Node thread, beside the in-process worker and dynalite, so ${USERS} events at once queue behind each other: the p99 is about ${USERS} times the cost of one (the floor row). On Lambda each event gets its own container. This is the same limit as the acknowledgement bench's.`,
        'The first publish is built from what is stored (open requests, posture, exemptions, policy runs, the person’s last known keys): no vendor is asked before Slack’s 3 seconds. A refresh job then looks up the person’s own keys and publishes again.',
      ],
    };
  } finally {
    await bot.close();
    await slack.close();
  }
}
