import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLogger, SecretRedactor } from '../../src/log.js';
import { webApiSlack } from '../../src/slack/web-api.js';
import { FakeSlack } from '../helpers/fake-slack.js';

const TOKEN = 'xoxb-web-api-0123456789';
// A sandbox credential: the test log capture fails this file if it ever reaches a log line.
const KEY = 'sandbox-idmelon-admin-key';

describe('the Slack port redacts everything it sends', () => {
  const slack = new FakeSlack();
  const redactor = new SecretRedactor();
  redactor.add(KEY);
  // Built once the fake Slack has its port.
  let api: ReturnType<typeof webApiSlack>;
  const leaky = {
    text: `IDmelon said: ${KEY}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `stopped part-way: ${encodeURIComponent(KEY)}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: Buffer.from(KEY).toString('base64') }] },
    ],
  };
  const everything = () => JSON.stringify([slack.calls, slack.responses, [...slack.uploads.values()]]);

  beforeAll(async () => {
    await slack.start();
    api = webApiSlack({
      token: async () => TOKEN,
      slackApiUrl: slack.apiUrl,
      logger: jsonLogger({ level: 'debug' }),
      redactor,
    });
  });
  afterAll(async () => {
    await slack.close();
  });

  it('in chat.postMessage, chat.postEphemeral and chat.update, text and blocks alike', async () => {
    const posted = await api.postMessage('C1', leaky);
    await api.postEphemeral('C1', 'U1', leaky);
    await api.update('C1', posted.ts, leaky);
    expect(slack.calls.map((c) => c.method)).toEqual([
      'chat.postMessage',
      'chat.postEphemeral',
      'chat.update',
    ]);
    for (const call of slack.calls) {
      expect(call.args.text).toBe('IDmelon said: [redacted]');
      expect(JSON.stringify(call.args.blocks)).not.toContain(KEY);
      expect(JSON.stringify(call.args.blocks).match(/\[redacted\]/g)).toHaveLength(2);
    }
  });

  it('in a response_url post', async () => {
    const url = slack.responseUrl();
    await api.respond(url, { ...leaky, replaceOriginal: true });
    expect(slack.postsTo(url)[0]).toMatchObject({
      text: 'IDmelon said: [redacted]',
      replace_original: true,
      response_type: 'ephemeral',
    });
  });

  it("in an uploaded file's content, name, title and comment", async () => {
    await api.uploadFile({
      channel: 'C1',
      filename: `${KEY}.csv`,
      title: `outcome ${KEY}`,
      comment: `see ${KEY}`,
      content: `vendor,detail\nidmelon,"IDmelon rejected the request (400): ${KEY}"\n`,
    });
    const [file] = [...slack.uploads.values()];
    expect(file?.content).toBe('vendor,detail\nidmelon,"IDmelon rejected the request (400): [redacted]"\n');
    expect(file?.filename).toBe('[redacted].csv');
    expect(everything()).not.toContain(KEY);
  });
});

describe('the Slack port posts only to Slack’s response_urls', () => {
  it('trusts hooks.slack.com over https and the configured Slack API origin, nothing else', async () => {
    const { trustedResponseUrl } = await import('../../src/slack/response-url.js');
    expect(trustedResponseUrl('https://hooks.slack.com/actions/T1/1/abc')).toBe(true);
    expect(trustedResponseUrl('http://hooks.slack.com/actions/T1/1/abc')).toBe(false);
    expect(trustedResponseUrl('https://hooks.slack.com.evil.example/x')).toBe(false);
    expect(trustedResponseUrl('https://user@hooks.slack.com/x')).toBe(false);
    expect(trustedResponseUrl('https://hooks.slack.com:8443/x')).toBe(false);
    expect(trustedResponseUrl('http://127.0.0.1:4000/hooks/x', 'http://127.0.0.1:4000/api/')).toBe(true);
    expect(trustedResponseUrl('http://127.0.0.1:4001/hooks/x', 'http://127.0.0.1:4000/api/')).toBe(false);
    expect(trustedResponseUrl('not a url', 'http://127.0.0.1:4000/api/')).toBe(false);
  });

  it('refuses any other response_url without contacting it', async () => {
    const { createServer } = await import('node:http');
    let contacted = 0;
    const attacker = createServer((_q, r) => {
      contacted++;
      r.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', () => r()));
    const port = (attacker.address() as { port: number }).port;
    const api = webApiSlack({
      token: async () => TOKEN,
      slackApiUrl: 'http://127.0.0.1:1/api/',
      logger: jsonLogger({ level: 'debug' }),
      redactor: new SecretRedactor(),
    });
    try {
      await expect(
        api.respond(`http://127.0.0.1:${port}/steal`, { text: 'keys', blocks: [] }),
      ).rejects.toMatchObject({ name: 'ResponseUrlError', code: 'untrusted_url' });
      expect(contacted).toBe(0);
    } finally {
      await new Promise((r) => attacker.close(r));
    }
  });
});

describe('the Slack port reads the directory and opens modals', () => {
  const slack = new FakeSlack();
  const redactor = new SecretRedactor();
  redactor.add(KEY);
  let api: ReturnType<typeof webApiSlack>;

  beforeAll(async () => {
    await slack.start();
    slack.users.push(
      { id: 'UALICE', email: 'Alice@Example.com' },
      { id: 'UGONE', email: 'gone@example.com', deleted: true },
      { id: 'UBOT', isBot: true },
      { id: 'USLACKBOT' },
      { id: 'UNOMAIL' },
    );
    api = webApiSlack({
      token: async () => TOKEN,
      slackApiUrl: slack.apiUrl,
      logger: jsonLogger({ level: 'debug' }),
      redactor,
    });
  });
  afterAll(async () => {
    await slack.close();
  });

  it('lists users a page at a time, with flags and emails as Slack has them', async () => {
    const first = await api.listUsers({ limit: 3 });
    expect(first.members).toEqual([
      { id: 'UALICE', email: 'Alice@Example.com', deleted: false, isBot: false },
      { id: 'UGONE', email: 'gone@example.com', deleted: true, isBot: false },
      { id: 'UBOT', deleted: false, isBot: true },
    ]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await api.listUsers({ cursor: first.nextCursor, limit: 3 });
    // Slackbot is no person, whatever its is_bot says.
    expect(second.members).toEqual([
      { id: 'USLACKBOT', deleted: false, isBot: true },
      { id: 'UNOMAIL', deleted: false, isBot: false },
    ]);
    expect(second.nextCursor).toBeUndefined();
    expect(slack.callsOf('users.list').map((c) => c.args.limit)).toEqual(['3', '3']);
  });

  it('asks for at most 1 000 users a page', async () => {
    await api.listUsers({ limit: 5000 });
    expect(slack.callsOf('users.list').at(-1)?.args.limit).toBe('1000');
  });

  it('waits out a 429 on users.list and carries on', async () => {
    const before = slack.callsOf('users.list').length;
    slack.fail('users.list', 'ratelimited', 1, 1);
    const page = await api.listUsers({ limit: 1000 });
    expect(page.members).toHaveLength(5);
    expect(slack.callsOf('users.list').length - before).toBe(2);
  });

  it('reads one user’s email, and nothing when the profile has none', async () => {
    expect(await api.userEmail('UALICE')).toBe('Alice@Example.com');
    expect(await api.userEmail('UNOMAIL')).toBeUndefined();
    await expect(api.userEmail('UNOBODY')).rejects.toMatchObject({ code: 'user_not_found' });
  });

  it('opens a modal and updates it, redacted like every message', async () => {
    const view = {
      type: 'modal',
      title: { type: 'plain_text', text: 'Keep this key?' },
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `IDmelon said: ${KEY}` } }],
    };
    const { id } = await api.openView('trigger-1', view);
    expect(slack.views.get(id)).toMatchObject({ type: 'modal', title: { text: 'Keep this key?' } });
    expect(slack.callsOf('views.open')[0]?.args.trigger_id).toBe('trigger-1');
    await api.updateView(id, { ...view, title: { type: 'plain_text', text: 'Kept' } });
    expect(slack.views.get(id)).toMatchObject({ title: { text: 'Kept' } });
    expect(JSON.stringify([...slack.views.values(), slack.calls])).not.toContain(KEY);
    await expect(api.updateView('VNONE', view)).rejects.toMatchObject({ code: 'not_found' });
  });
});
