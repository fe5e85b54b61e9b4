import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBot, startLocalBot } from '../../src/local/bot.js';
import { jsonLogger } from '../../src/log.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { clock } from '../helpers/idmelon.js';
import { post, signedHeaders, slashCommandBody } from '../helpers/slack-requests.js';

const SECRET = 'load-test-signing-secret-0123456';
const N = 200;
/** Two different scans per admin: within the per-person cap, and nothing the same to coalesce. */
const ADMINS = Array.from({ length: N / 2 }, (_, i) => `ULOAD${String(i).padStart(4, '0')}`);

/**
 * Many admins at once: every command acknowledged, every one answered, none twice. Timings are the bench's. The
 * global cap is raised to N so that every command becomes a job; test/reliability/limits.test.ts covers the caps.
 */
describe(`${N} concurrent slash commands`, () => {
  const slack = new FakeSlack();
  let bot: LocalBot;
  beforeAll(async () => {
    await slack.start();
    bot = await startLocalBot({
      env: {
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: 'xoxb-load-0123456789',
        SLACK_API_URL: slack.apiUrl,
        KEYWARDEN_ADMINS: ADMINS.join(','),
        KEYWARDEN_MAX_JOBS: String(N),
      },
      port: 0,
      dataDir: null,
      clock,
      vendors: ['idmelon'],
      sandbox: { users: 100, keys: 300, logs: 0 },
      logger: jsonLogger({ level: 'warn' }),
    });
  });
  afterAll(async () => {
    await bot.close();
    await slack.close();
  });

  it('acknowledges and answers each exactly once', async () => {
    const urls = Array.from({ length: N }, () => slack.responseUrl());
    const statuses = await Promise.all(
      urls.map(async (responseUrl, i) => {
        const body = slashCommandBody({
          command: '/keys',
          text: i % 2 ? 'stale 90' : 'stale 30 badge',
          user_id: ADMINS[Math.floor(i / 2)] as string,
          response_url: responseUrl,
        });
        return (await post(bot.url, body, signedHeaders(SECRET, body))).status;
      }),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    await bot.queue.idle();
    expect(urls.map((u) => slack.postsTo(u).length)).toEqual(urls.map(() => 1));
    for (const u of urls) expect(JSON.stringify(slack.postsTo(u)[0]?.blocks)).toContain('Keys unused for');
    // 200 jobs, each a scan and five DynamoDB calls (slot, claim, completion, release), on a machine shared with
    // the rest of the suite: more than the default 20 s per test.
  }, 60_000);
});
