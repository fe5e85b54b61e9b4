import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Block } from '../blocks/limits.js';
import { userMessage } from '../http/errors.js';
import { startLocalBot } from '../local/bot.js';
import { jsonLogger } from '../log.js';
import { type SlackApi, SlackApiError } from '../slack/api.js';
import { signSlackRequest } from '../slack/verify.js';
import { terminalLines, terminalText } from '../util/text-safety.js';
import { type CliIo, redactingIo } from './run.js';

const ADMIN = 'ULOCALADMIN';

/** Slack's Block Kit as terminal text: headers, sections, context lines, and buttons as [labels]. */
export function blocksToText(blocks: readonly Block[]): string {
  const out: string[] = [];
  const plainText = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  for (const b of blocks) {
    const text = (b.text as { text?: string } | undefined)?.text;
    if (b.type === 'header' && text) out.push(`== ${text}`);
    else if (b.type === 'section' && text) {
      const accessory = b.accessory as { text?: { text?: string } } | undefined;
      out.push(plainText(text) + (accessory?.text?.text ? `   [${accessory.text.text}]` : ''));
    } else if (b.type === 'context')
      out.push(`  ${(b.elements as Array<{ text: string }>).map((e) => plainText(e.text)).join(' · ')}`);
    else if (b.type === 'actions')
      out.push((b.elements as Array<{ text: { text: string } }>).map((e) => `[${e.text.text}]`).join(' '));
    else if (b.type === 'divider') out.push('---');
  }
  // Slack text is already escaped for Slack, not for a terminal: a C1 or an escape in a label must not reach it.
  return terminalLines(out.join('\n'));
}

/**
 * `keywarden slack "/keys stale 90"`: the whole Slack round trip on this machine, with no Slack. It starts the
 * bot (embedded sandboxes, in-memory store), sends it a signed slash command as a local admin, and prints the
 * immediate acknowledgement and then the answer the worker sends to the command's response_url.
 */
export async function runTrySlack(commandLine: string, terminal: CliIo): Promise<number> {
  let io = terminal;
  const [command, ...rest] = commandLine.trim().split(/\s+/);
  if (command !== '/keys' && command !== '/user') {
    io.stderr(
      'keywarden: try a slash command, e.g. keywarden slack "/keys stale 90" or "/user lookup alice@acme.example"\n',
    );
    return 2;
  }
  const answers: Block[][] = [];
  let notify: (() => void) | undefined;
  const hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { blocks?: Block[] };
      answers.push(body.blocks ?? []);
      res.writeHead(200).end('ok');
      notify?.();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const responseUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  const env = {
    ...io.env,
    SLACK_SIGNING_SECRET: undefined,
    KEYWARDEN_ADMINS: ADMIN,
    KEYWARDEN_APPROVERS: undefined,
  };
  let bot: Awaited<ReturnType<typeof startLocalBot>> | undefined;
  try {
    bot = await startLocalBot({
      env,
      port: 0,
      dataDir: null,
      logger: jsonLogger({ level: 'error', write: () => {} }),
      // This command plays Slack: the answer comes back to its own loopback hook.
      trustedResponseOrigins: [responseUrl],
    });
    // The answers already went through the bot's Slack port; the terminal gets the same redaction.
    io = redactingIo(terminal, bot.redactor);
    for (const note of bot.notes.filter((n) => !n.startsWith('KEYWARDEN_APPROVERS'))) io.stderr(`${note}\n`);
    const form = new URLSearchParams({
      command,
      text: rest.join(' '),
      user_id: ADMIN,
      channel_id: 'CLOCAL',
      team_id: 'TLOCAL',
      response_url: responseUrl,
      trigger_id: `local-${Date.now()}`,
    }).toString();
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(`${bot.url}/slack/events`, {
      method: 'POST',
      body: form,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': signSlackRequest(bot.signingSecret, ts, form),
      },
    });
    const ack = (await res.json().catch(() => ({}))) as { blocks?: Block[] };
    io.stdout(`Acknowledged (HTTP ${res.status}):\n${blocksToText(ack.blocks ?? [])}\n\n`);
    await bot.queue.idle();
    if (answers.length === 0)
      await new Promise<void>((resolve) => {
        notify = resolve;
        setTimeout(resolve, 1000);
      });
    for (const blocks of answers) io.stdout(`Answer (through response_url):\n${blocksToText(blocks)}\n\n`);
    return 0;
  } catch (err) {
    io.stderr(`keywarden: ${terminalText(userMessage(err))}\n`);
    return 1;
  } finally {
    await bot?.close();
    await new Promise<void>((resolve) => hook.close(() => resolve()));
  }
}

/**
 * `keywarden slack --home [USER] [--email EMAIL]`: what Keywarden would publish on that person's Home tab, with no
 * Slack. The bot starts on its sandboxes; the person is an admin and approver when no USER is given (the local
 * admin), anyone else otherwise; their email (for *My keys*) is EMAIL, by default the sandbox's first user's.
 */
export async function runTryHome(args: string[], terminal: CliIo): Promise<number> {
  let io = terminal;
  const emailAt = args.indexOf('--email');
  const email = emailAt >= 0 ? args[emailAt + 1] : undefined;
  const positional = args.filter((_, i) => emailAt < 0 || (i !== emailAt && i !== emailAt + 1));
  const user = positional[0] ?? ADMIN;
  if (!/^[UW][A-Z0-9]{2,}$/.test(user)) {
    io.stderr('keywarden: --home takes a Slack user id such as U012ABCDEF\n');
    return 2;
  }
  const published: Array<Record<string, unknown>> = [];
  let bot: Awaited<ReturnType<typeof startLocalBot>> | undefined;
  try {
    const who = email ?? 'alice@acme.example';
    bot = await startLocalBot({
      env: {
        ...io.env,
        SLACK_SIGNING_SECRET: undefined,
        KEYWARDEN_ADMINS: ADMIN,
        KEYWARDEN_APPROVERS: ADMIN,
      },
      port: 0,
      dataDir: null,
      logger: jsonLogger({ level: 'error', write: () => {} }),
      slack: homeOnlySlack(user, who, (view) => published.push(view)),
      sweepEveryMs: 0,
      policyCheckEveryMs: 0,
    });
    io = redactingIo(terminal, bot.redactor);
    const body = JSON.stringify({
      type: 'event_callback',
      event_id: `EvLocal${Date.now()}`,
      event: { type: 'app_home_opened', user, channel: `D${user}`, tab: 'home', event_ts: '1.0' },
    });
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(`${bot.url}/slack/events`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': signSlackRequest(bot.signingSecret, ts, body),
      },
    });
    await res.text();
    await bot.queue.idle();
    const last = published.at(-1);
    if (!last) {
      io.stderr('keywarden: nothing was published\n');
      return 1;
    }
    io.stdout(
      `Home of ${user} (${who}), as published ${published.length} time(s):\n${blocksToText((last.blocks ?? []) as Block[])}\n`,
    );
    return 0;
  } catch (err) {
    io.stderr(`keywarden: ${terminalText(userMessage(err))}\n`);
    return 1;
  } finally {
    await bot?.close();
  }
}

/** A Slack port that knows one person and keeps what is published for them; every other call is refused. */
function homeOnlySlack(
  user: string,
  email: string,
  onPublish: (view: Record<string, unknown>) => void,
): SlackApi {
  const refuse = async (): Promise<never> => {
    throw new SlackApiError('not_configured', 'this local preview talks to no Slack');
  };
  return {
    respond: refuse,
    postMessage: refuse,
    postEphemeral: refuse,
    update: refuse,
    openDm: refuse,
    uploadFile: refuse,
    userGroupMembers: refuse,
    openView: refuse,
    updateView: refuse,
    listUsers: async () => ({ members: [{ id: user, email, deleted: false, isBot: false }] }),
    userEmail: async (id) => (id === user ? email : undefined),
    publishView: async (_user, view) => onPublish(view),
    trustsResponseUrl: () => false,
  };
}
