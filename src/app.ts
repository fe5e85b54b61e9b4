import { App, type Receiver } from '@slack/bolt';
import type { ListenerDeps } from './listeners/deps.js';
import { registerListeners } from './listeners/index.js';
import { slackLogger } from './slack/slack-logger.js';

export interface AppOptions {
  deps: ListenerDeps;
  /** Our HTTP receiver (Lambda, local server); omitted for Socket Mode. */
  receiver?: Receiver;
  socketMode?: { appToken: string };
  /** Read per event, so a rotated token is used at once; may be absent locally. */
  botToken: () => Promise<string | undefined>;
  slackApiUrl?: string;
}

/**
 * The Bolt app with Keywarden's listeners. No I/O here: `authorize` reads the bot token per event instead of
 * `new App({ token })`, which would call auth.test at start-up and make a cold start wait on Slack.
 */
export function createApp(options: AppOptions): App {
  const app = new App({
    ...(options.socketMode
      ? { socketMode: true, appToken: options.socketMode.appToken }
      : { receiver: options.receiver }),
    authorize: async () => {
      const botToken = await options.botToken();
      return botToken ? { botToken } : {};
    },
    logger: slackLogger(options.deps.logger, 'bolt'),
    clientOptions: options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : undefined,
  });
  registerListeners(app, options.deps);
  return app;
}
