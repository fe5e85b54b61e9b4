import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBot, startLocalBot } from '../../src/local/bot.js';
import { jsonLogger, SecretRedactor } from '../../src/log.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { clock } from '../helpers/idmelon.js';
import { post, signedHeaders, slashCommandBody } from '../helpers/slack-requests.js';

/**
 * One slash command through the whole path (the Slack endpoint, the queue, the worker, the vendor client, the answer)
 * leaves log lines that all carry the same correlation id, and no secret.
 */
const SECRET = 'correlation-signing-secret-01234';
const BOT_TOKEN = 'xoxb-correlation-0123456789';

describe('a correlation id through a command’s whole path', () => {
  const slack = new FakeSlack();
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  let bot: LocalBot;

  beforeAll(async () => {
    await slack.start();
    const redactor = new SecretRedactor();
    bot = await startLocalBot({
      env: {
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_API_URL: slack.apiUrl,
        KEYWARDEN_ADMINS: 'UADMIN1',
      },
      port: 0,
      dataDir: null,
      clock,
      vendors: ['idmelon'],
      sandbox: { users: 30, keys: 90, logs: 0 },
      sweepEveryMs: 0,
      policyCheckEveryMs: 0,
      logger: jsonLogger({
        level: 'debug',
        redactor,
        write: (line) => {
          raw.push(line);
          lines.push(JSON.parse(line) as Record<string, unknown>);
          process.stderr.write(`${line}\n`);
        },
      }),
    });
    for (const s of [SECRET, BOT_TOKEN]) redactor.add(s);
  });
  afterAll(async () => {
    await bot.close();
    await slack.close();
  });

  it('carries one id from the HTTP request to the vendor calls and the answer, and prints no secret', async () => {
    await bot.queue.idle();
    const before = lines.length;
    const hook = slack.responseUrl();
    const body = slashCommandBody({
      command: '/keys',
      text: 'stale 90',
      user_id: 'UADMIN1',
      response_url: hook,
    });
    expect((await post(bot.url, body, signedHeaders(SECRET, body))).status).toBe(200);
    await slack.waitFor(() => slack.postsTo(hook).length > 0, 20_000);
    await bot.queue.idle();
    const mine = lines.slice(before);
    // The vendor calls are among them (debug lines of the HTTP client), so the id reached the vendor client.
    expect(mine.some((l) => l.msg === 'vendor request')).toBe(true);
    const ids = new Set(mine.map((l) => l.correlationId));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f-]{36}$/);
    // The job carried the id over the queue: the worker's lines also name the job.
    expect(mine.some((l) => typeof l.jobId === 'string')).toBe(true);
    for (const line of raw) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(BOT_TOKEN);
      expect(line).not.toContain(bot.sandbox?.apiKey as string);
    }
  });
});
