import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalBot } from '../../src/local/bot.js';
import { jsonLogger } from '../../src/log.js';
import { slackEventsRuntime } from '../../src/runtime/slack-events.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { clock } from '../helpers/idmelon.js';
import { post, signedHeaders, slashCommandBody } from '../helpers/slack-requests.js';

/**
 * The README's Troubleshooting section quotes log lines; this file produces each of them, the way the failure it
 * describes happens, and checks the README quotes what was produced (every field of a quoted line, as logged).
 */
const SECRET = 'troubleshooting-signing-secret-0';
const produced: Array<Record<string, unknown>> = [];
const capture = () =>
  jsonLogger({
    level: 'info',
    write: (line) => {
      produced.push(JSON.parse(line) as Record<string, unknown>);
      process.stderr.write(`${line}\n`);
    },
  });

function quotedLines(): Array<Record<string, unknown>> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('## Troubleshooting');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 5));
  return [...section.matchAll(/^ {0,4}(\{"level".*\})$/gm)].map((m) => JSON.parse(m[1] as string));
}

describe('the failures the README’s Troubleshooting section describes', () => {
  const slack = new FakeSlack();
  beforeAll(async () => {
    await slack.start();
  });
  afterAll(async () => {
    await slack.close();
  });

  it('a request signed with another signing secret', async () => {
    const bot = await startLocalBot({
      env: { SLACK_SIGNING_SECRET: SECRET, KEYWARDEN_ADMINS: 'UADMIN1' },
      port: 0,
      dataDir: null,
      logger: capture(),
      sweepEveryMs: 0,
      policyCheckEveryMs: 0,
    });
    const body = slashCommandBody({ command: '/keys', text: 'help', user_id: 'UADMIN1' });
    expect((await post(bot.url, body, signedHeaders('another-secret-entirely-0123', body))).status).toBe(401);
    await bot.close();
  });

  it('a command when no admin is configured', async () => {
    const bot = await startLocalBot({
      env: { SLACK_SIGNING_SECRET: SECRET },
      port: 0,
      dataDir: null,
      logger: capture(),
      sweepEveryMs: 0,
      policyCheckEveryMs: 0,
    });
    const body = slashCommandBody({
      command: '/keys',
      text: 'stale 90',
      user_id: 'U0SOMEONE',
      response_url: slack.responseUrl(),
    });
    expect((await post(bot.url, body, signedHeaders(SECRET, body))).status).toBe(200);
    await bot.close();
  });

  it('an answer to a channel the bot is not in, once the response_url is spent', async () => {
    const bot = await startLocalBot({
      env: {
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: 'xoxb-trouble-0123',
        SLACK_API_URL: slack.apiUrl,
        KEYWARDEN_ADMINS: 'UADMIN1',
      },
      port: 0,
      dataDir: null,
      clock,
      vendors: ['idmelon'],
      sandbox: { users: 10, keys: 30, logs: 0 },
      logger: capture(),
      sweepEveryMs: 0,
      policyCheckEveryMs: 0,
    });
    const hook = slack.responseUrl();
    slack.expire(hook);
    slack.fail('chat.postEphemeral', 'not_in_channel', 1);
    const body = slashCommandBody({
      command: '/keys',
      text: 'stale 90',
      user_id: 'UADMIN1',
      response_url: hook,
    });
    expect((await post(bot.url, body, signedHeaders(SECRET, body))).status).toBe(200);
    await bot.queue.idle();
    await bot.close();
  });

  it('a vendor key that was reset', async () => {
    const bot = await startLocalBot({
      env: {
        SLACK_SIGNING_SECRET: SECRET,
        KEYWARDEN_ADMINS: 'UADMIN1',
        SLACK_API_URL: slack.apiUrl,
        SLACK_BOT_TOKEN: 'xoxb-trouble-0123',
      },
      port: 0,
      dataDir: null,
      clock,
      vendors: ['idmelon'],
      sandbox: { users: 10, keys: 30, logs: 0, apiKey: 'the-key-before-the-reset-0123' },
      logger: capture(),
      sweepEveryMs: 0,
      policyCheckEveryMs: 0,
    });
    bot.sandbox?.rotateApiKey('the-key-after-the-reset-4567');
    const body = slashCommandBody({
      command: '/keys',
      text: 'stale 90',
      user_id: 'UADMIN1',
      response_url: slack.responseUrl(),
    });
    expect((await post(bot.url, body, signedHeaders(SECRET, body))).status).toBe(200);
    await bot.queue.idle();
    await bot.close();
  });

  it('a secret the function may not read (IAM or its KMS key)', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error('denied'), { name: 'AccessDeniedException' }),
    );
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      lines.push(String(chunk));
      return write(chunk);
    }) as typeof process.stderr.write;
    try {
      const { receiver } = slackEventsRuntime(
        {
          KEYWARDEN_SECRET_ID: 'keywarden/prod',
          KEYWARDEN_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q',
        },
        { secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }) },
      );
      const body = slashCommandBody({ command: '/keys', text: 'help' });
      expect(
        (await receiver.handle({ headers: signedHeaders(SECRET, body), body: Buffer.from(body) })).status,
      ).toBe(503);
    } finally {
      process.stderr.write = write;
      sm.restore();
    }
    for (const l of lines
      .join('')
      .split('\n')
      .filter((x) => x.startsWith('{')))
      produced.push(JSON.parse(l));
  });

  it('each line the README quotes was produced above, field for field', () => {
    if (process.env.DUMP_LINES)
      process.stdout.write(
        `DUMP${JSON.stringify(produced.filter((l) => l.level !== 'info' || /DM|unverified/.test(String(l.msg))))}\n`,
      );
    const quoted = quotedLines();
    expect(quoted.length).toBeGreaterThanOrEqual(5);
    for (const q of quoted) {
      const { err, ...fields } = q as { err?: Record<string, unknown> };
      expect(produced).toContainEqual(
        expect.objectContaining({ ...fields, ...(err ? { err: expect.objectContaining(err) } : {}) }),
      );
    }
  });
});
