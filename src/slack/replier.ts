import type { Message } from '../blocks/kit.js';
import { type Clock, systemClock } from '../domain/clock.js';
import type { Logger } from '../log.js';
import { ResponseUrlError, type SlackApi } from './api.js';

/** Slack allows a response_url 5 uses within 30 minutes. */
export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_LIFETIME_MS = 30 * 60_000;
/** Margin so a use that starts just before expiry is not refused on arrival. */
const EXPIRY_MARGIN_MS = 60_000;
/** Progress updates a job may spend, so the result and any error still have uses left. */
const MAX_PROGRESS_UPDATES = 2;

export interface ReplyTarget {
  user: string;
  channel: string;
  responseUrl?: string;
  issuedAt: number;
}

/**
 * Answers the admin who asked, privately. The response_url comes first (it needs no channel membership); once it is
 * spent or expired, an ephemeral message in the channel; failing that (the bot is not in the channel), a DM.
 */
export class Replier {
  private uses = 0;
  private progressUpdates = 0;

  constructor(
    private readonly slack: SlackApi,
    private readonly target: ReplyTarget,
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  private responseUrlUsable(): boolean {
    return (
      this.target.responseUrl !== undefined &&
      this.uses < RESPONSE_URL_MAX_USES &&
      this.clock.now().getTime() - this.target.issuedAt < RESPONSE_URL_LIFETIME_MS - EXPIRY_MARGIN_MS
    );
  }

  /** Sends `message`, replacing the original ephemeral answer ("Scanning…") when `replace` is set. */
  async send(
    message: Message,
    options: { replace?: boolean } = {},
  ): Promise<'response_url' | 'ephemeral' | 'dm'> {
    if (this.responseUrlUsable() && this.target.responseUrl) {
      this.uses++;
      try {
        await this.slack.respond(this.target.responseUrl, {
          ...message,
          replaceOriginal: options.replace ?? true,
        });
        return 'response_url';
      } catch (err) {
        if (!(err instanceof ResponseUrlError)) throw err;
        this.uses = RESPONSE_URL_MAX_USES;
        this.logger.info('response_url spent, falling back to chat messages', { code: err.code });
      }
    }
    // A user id for a channel means "tell them directly" (a press on the Home tab, a Home modal): a DM.
    if (/^[UW][A-Z0-9]+$/.test(this.target.channel)) {
      await this.slack.postMessage(this.target.user, message);
      return 'dm';
    }
    try {
      await this.slack.postEphemeral(this.target.channel, this.target.user, message);
      return 'ephemeral';
    } catch (err) {
      this.logger.info('ephemeral reply failed, sending a DM', { err });
      const dm = await this.slack.openDm(this.target.user);
      await this.slack.postMessage(dm, message);
      return 'dm';
    }
  }

  /** A progress update, only while response_url uses can be spared; never a fallback message. */
  async progress(message: Message): Promise<void> {
    if (this.progressUpdates >= MAX_PROGRESS_UPDATES || !this.responseUrlUsable() || !this.target.responseUrl)
      return;
    if (this.uses + 1 > RESPONSE_URL_MAX_USES - 2) return;
    this.progressUpdates++;
    this.uses++;
    try {
      await this.slack.respond(this.target.responseUrl, { ...message, replaceOriginal: true });
    } catch (err) {
      this.logger.info('progress update failed', { err });
    }
  }
}
