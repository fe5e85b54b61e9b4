import type { Message } from '../blocks/kit.js';

/**
 * What Keywarden needs from Slack, as a port: the worker and the services see this interface, never the Slack
 * SDK. `web-api.ts` implements it with @slack/web-api; tests point that at a local fake Slack Web API.
 */
export interface SlackApi {
  /** POSTs to a `response_url`. Throws ResponseUrlError when Slack says the URL is used up or expired. */
  respond(
    responseUrl: string,
    message: Message & { replaceOriginal?: boolean; ephemeral?: boolean },
  ): Promise<void>;
  postMessage(
    channel: string,
    message: Message,
    options?: { threadTs?: string },
  ): Promise<{ channel: string; ts: string }>;
  postEphemeral(channel: string, user: string, message: Message): Promise<void>;
  update(channel: string, ts: string, message: Message): Promise<void>;
  /** The id of the bot's DM channel with `user`. */
  openDm(user: string): Promise<string>;
  /** files.uploadV2: shares `content` in `channel`. */
  uploadFile(input: {
    channel: string;
    filename: string;
    title: string;
    content: string;
    comment?: string;
    /** Posts the file as a reply in this thread. */
    threadTs?: string;
  }): Promise<void>;
  userGroupMembers(groupId: string): Promise<string[]>;
  /**
   * One page of users.list: every member of the workspace, deactivated accounts and bots included (flagged), with
   * their email when the app has `users:read.email`. `nextCursor` is absent on the last page.
   */
  listUsers(input: {
    cursor?: string;
    limit: number;
  }): Promise<{ members: SlackMember[]; nextCursor?: string }>;
  /** users.info: the user's profile email, undefined when Slack shows none. */
  userEmail(userId: string): Promise<string | undefined>;
  /** views.open: shows a modal in answer to the interaction that gave `triggerId` (valid for 3 seconds). */
  openView(triggerId: string, view: Record<string, unknown>): Promise<{ id: string }>;
  /** views.update: replaces an open modal's content. */
  updateView(viewId: string, view: Record<string, unknown>): Promise<void>;
  /** views.publish: sets what `user` sees on Keywarden's Home tab. */
  publishView(user: string, view: Record<string, unknown>): Promise<void>;
  /** Whether a response_url is Slack's to post to (see response-url.ts); `respond` refuses any other. */
  trustsResponseUrl(url: string): boolean;
}

/** A workspace member as users.list lists them: only what Keywarden reads. */
export interface SlackMember {
  id: string;
  email?: string;
  /** A deactivated account. */
  deleted: boolean;
  /** A bot or app user (Slackbot included): never the owner of a key. */
  isBot: boolean;
}

/** Slack's Web API answered `ok: false`; `code` is Slack's error string (`not_in_channel`, `invalid_blocks`…). */
export class SlackApiError extends Error {
  override name = 'SlackApiError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  userMessage(): string {
    if (this.code === 'not_configured') return this.message;
    return `Slack refused Keywarden's request (${this.code}).`;
  }
}

/** A response_url that can no longer be used (5 uses or 30 minutes). */
export class ResponseUrlError extends SlackApiError {
  override name = 'ResponseUrlError';
}
