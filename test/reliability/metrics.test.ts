import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBot, startLocalBot } from '../../src/local/bot.js';
import { jsonLogger } from '../../src/log.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { clock } from '../helpers/idmelon.js';
import { RecordingMetrics } from '../helpers/metrics.js';
import { post, signedHeaders, slashCommandBody } from '../helpers/slack-requests.js';

/**
 * One slash command through the whole path (the Slack endpoint, the queue, the worker, the vendor client, the answer)
 * is counted where it passes: handed off by kind, run by kind and outcome, and each vendor request by vendor. No
 * dimension names a person, a key or a request.
 */
const SECRET = 'metrics-signing-secret-0123456';
const BOT_TOKEN = 'xoxb-metrics-0123456789';

describe('metrics along a command’s whole path', () => {
  const slack = new FakeSlack();
  const metrics = new RecordingMetrics();
  let bot: LocalBot;

  beforeAll(async () => {
    await slack.start();
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
      metrics,
      logger: jsonLogger({ level: 'warn' }),
    });
  });
  afterAll(async () => {
    await bot.close();
    await slack.close();
  });

  it('counts the command, the job and its vendor requests', async () => {
    await bot.queue.idle();
    metrics.clear();
    const sandbox = bot.sandbox?.server;
    sandbox?.clearLog();
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

    expect(metrics.find('Commands')).toEqual([
      { name: 'Commands', dimensions: { kind: 'keys.stale' }, value: 1 },
    ]);
    expect(metrics.find('Jobs')).toEqual([
      { name: 'Jobs', dimensions: { kind: 'keys.stale', outcome: 'answered' }, value: 1 },
    ]);
    expect(metrics.find('JobDuration', { kind: 'keys.stale' })).toHaveLength(1);
    const requests = metrics.find('VendorRequests');
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) expect(r.dimensions).toEqual({ vendor: 'idmelon' });
    // One count per request the vendor saw.
    expect(metrics.total('VendorRequests', { vendor: 'idmelon' })).toBe(sandbox?.requests.length);
    expect(metrics.find('VendorRateLimited')).toEqual([]);

    // Low cardinality: every dimension is one of a few names, and no value is a user, a key or an id.
    const allowed = new Set(['kind', 'outcome', 'vendor']);
    for (const r of metrics.recorded) {
      for (const [name, value] of Object.entries(r.dimensions)) {
        expect(allowed.has(name)).toBe(true);
        expect(value).not.toMatch(/UADMIN1|[0-9a-f]{16,}/);
      }
    }
  });
});
