import { LogLevel, type ErrorCode as SlackErrorCode, WebClient } from '@slack/web-api';
import * as z from 'zod';
import type { Message } from '../blocks/kit.js';
import { type Logger, type Redactor, redactDeep } from '../log.js';
import { ResponseUrlError, type SlackApi, SlackApiError, type SlackMember } from './api.js';
import { trustedResponseUrl, urlHost } from './response-url.js';
import { slackLogger } from './slack-logger.js';

export interface WebApiOptions {
  /** Read per call so a rotated token is picked up. */
  token: () => Promise<string | undefined>;
  /** Web API base, for tests and local fakes (`SLACK_API_URL`). @default https://slack.com/api/ */
  slackApiUrl?: string;
  logger: Logger;
  /**
   * Scrubs every secret the runtime knows from everything sent to Slack: this port is the one way out to Slack,
   * so messages, response_url posts and uploaded files are all redacted here, whatever built them.
   */
  redactor: Redactor;
  /**
   * Further origins whose response_urls are trusted: only `keywarden slack`, which answers a command through a
   * loopback hook of its own. @default none
   */
  trustedResponseOrigins?: readonly string[];
  /** Timeout of one Web API or response_url call. @default 10_000 */
  timeoutMs?: number;
}

/**
 * A member of users.list in Slack's documented user object shape (api.slack.com/types/user), loose: only the
 * fields Keywarden reads are checked, anything else passes through. `profile.email` is there only with the
 * `users:read.email` scope.
 */
const memberSchema = z.looseObject({
  id: z.string().min(1),
  deleted: z.boolean().nullish(),
  is_bot: z.boolean().nullish(),
  profile: z.looseObject({ email: z.string().nullish() }).nullish(),
});
const membersSchema = z.array(memberSchema);

/** Slackbot is a member with `is_bot: false`; it is no person either. */
const SLACKBOT = 'USLACKBOT';

/** Slack's page size cap for users.list. */
const MAX_USERS_PAGE = 1000;

/**
 * @slack/web-api behind the SlackApi port. On HTTP 429 WebClient waits the Retry-After seconds, then tries again
 * (within `retryConfig.retries`): a rate-limited call is slower, not failed.
 */
export function webApiSlack(options: WebApiOptions): SlackApi {
  const clients = new Map<string, WebClient>();
  const client = async (): Promise<WebClient> => {
    const token = await options.token();
    if (!token)
      throw new SlackApiError(
        'not_configured',
        'SLACK_BOT_TOKEN is not set, so Keywarden cannot call the Slack Web API',
      );
    let c = clients.get(token);
    if (!c) {
      c = new WebClient(token, {
        slackApiUrl: options.slackApiUrl,
        logLevel: LogLevel.WARN,
        logger: slackLogger(options.logger, 'web-api'),
        timeout: options.timeoutMs ?? 10_000,
        retryConfig: { retries: 3, factor: 2, minTimeout: 200, maxTimeout: 5000 },
      });
      clients.clear();
      clients.set(token, c);
    }
    return c;
  };
  const call = async <T>(method: string, fn: (c: WebClient) => Promise<T>): Promise<T> => {
    try {
      return await fn(await client());
    } catch (err) {
      if (err instanceof SlackApiError) throw err;
      const e = err as { code?: SlackErrorCode; data?: { error?: string } };
      const code = e.data?.error ?? String(e.code ?? 'unknown');
      throw new SlackApiError(code, `Slack ${method} failed: ${code}`, { cause: err });
    }
  };
  const redact = <T>(value: T): T => redactDeep(value, options.redactor);
  const body = (m: Message) => redact({ text: m.text, blocks: m.blocks as never[] });

  const trusts = (url: string) =>
    trustedResponseUrl(url, options.slackApiUrl, options.trustedResponseOrigins ?? []);
  return {
    trustsResponseUrl: trusts,
    async respond(responseUrl, message) {
      if (!trusts(responseUrl)) {
        // Not contacted at all; the Replier falls back to an ephemeral message or a DM.
        options.logger.warn('refused to post to a response_url that is not Slack’s', {
          host: urlHost(responseUrl),
        });
        throw new ResponseUrlError('untrusted_url', 'response_url is not a Slack URL');
      }
      // Global fetch, like @slack/web-api itself: the Slack side of Keywarden needs no HTTP client of its own.
      let res: Response;
      try {
        res = await fetch(responseUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify(
            redact({
              text: message.text,
              blocks: message.blocks,
              response_type: message.ephemeral === false ? 'in_channel' : 'ephemeral',
              replace_original: message.replaceOriginal ?? false,
            }),
          ),
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (err) {
        throw new SlackApiError('network', `response_url could not be reached (${(err as Error).name})`, {
          cause: err,
        });
      }
      const text = await res.text();
      if (res.status === 200 && !/"ok"\s*:\s*false/.test(text)) return;
      const code =
        /"error"\s*:\s*"([^"]+)"/.exec(text)?.[1] ?? (res.status === 404 ? 'used_url' : `http_${res.status}`);
      if (res.status === 404 || code === 'expired_url' || code === 'used_url') {
        throw new ResponseUrlError(code, `response_url can no longer be used (${code})`);
      }
      throw new SlackApiError(code, `response_url answered ${res.status} (${code})`);
    },
    postMessage: (channel, message, opts) =>
      call('chat.postMessage', async (c) => {
        const res = await c.chat.postMessage({
          channel,
          ...body(message),
          thread_ts: opts?.threadTs,
          unfurl_links: false,
        });
        return { channel: res.channel ?? channel, ts: res.ts ?? '' };
      }),
    postEphemeral: (channel, user, message) =>
      call('chat.postEphemeral', async (c) => {
        await c.chat.postEphemeral({ channel, user, ...body(message) });
      }),
    update: (channel, ts, message) =>
      call('chat.update', async (c) => {
        await c.chat.update({ channel, ts, ...body(message) });
      }),
    openDm: (user) =>
      call('conversations.open', async (c) => {
        const res = await c.conversations.open({ users: user });
        const id = res.channel?.id;
        if (!id) throw new SlackApiError('no_channel', 'conversations.open returned no channel');
        return id;
      }),
    uploadFile: (input) =>
      call('files.uploadV2', async (c) => {
        // CSV cells carry vendor data and stored error text: the file is redacted like any message.
        const file = redact({
          filename: input.filename,
          title: input.title,
          content: input.content,
          initial_comment: input.comment,
        });
        // The SDK's types split "in a thread" and "in a channel" into two argument shapes.
        if (input.threadTs)
          await c.files.uploadV2({ ...file, channel_id: input.channel, thread_ts: input.threadTs });
        else await c.files.uploadV2({ ...file, channel_id: input.channel });
      }),
    userGroupMembers: (groupId) =>
      call('usergroups.users.list', async (c) => {
        const res = await c.usergroups.users.list({ usergroup: groupId });
        return res.users ?? [];
      }),
    listUsers: (input) =>
      call('users.list', async (c) => {
        const res = await c.users.list({
          limit: Math.min(Math.max(1, Math.floor(input.limit)), MAX_USERS_PAGE),
          ...(input.cursor ? { cursor: input.cursor } : {}),
        });
        const parsed = membersSchema.safeParse(res.members ?? []);
        if (!parsed.success) {
          // Only the path: the members carry people's emails, which have no place in an error message.
          const where = parsed.error.issues[0]?.path.join('.') ?? '';
          throw new SlackApiError(
            'invalid_response',
            `users.list returned a member Keywarden cannot read (${where})`,
          );
        }
        const members = parsed.data.map(
          (m): SlackMember => ({
            id: m.id,
            ...(m.profile?.email ? { email: m.profile.email } : {}),
            deleted: m.deleted === true,
            isBot: m.is_bot === true || m.id === SLACKBOT,
          }),
        );
        const next = res.response_metadata?.next_cursor;
        return next ? { members, nextCursor: next } : { members };
      }),
    userEmail: (userId) =>
      call('users.info', async (c) => {
        const res = await c.users.info({ user: userId });
        return res.user?.profile?.email || undefined;
      }),
    openView: (triggerId, view) =>
      call('views.open', async (c) => {
        const res = await c.views.open({ trigger_id: triggerId, view: redact(view) as never });
        const id = res.view?.id;
        if (!id) throw new SlackApiError('no_view', 'views.open returned no view');
        return { id };
      }),
    updateView: (viewId, view) =>
      call('views.update', async (c) => {
        await c.views.update({ view_id: viewId, view: redact(view) as never });
      }),
    publishView: (user, view) =>
      call('views.publish', async (c) => {
        await c.views.publish({ user_id: user, view: redact(view) as never });
      }),
  };
}
