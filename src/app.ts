import { App, type Receiver } from '@slack/bolt';
import { LogLevel, type Logger as SlackLogger } from '@slack/logger';
import type { ListenerDeps } from './listeners/deps.js';
import { registerListeners } from './listeners/index.js';
import type { Logger } from './log.js';

export interface AppOptions {
  deps: ListenerDeps;
  /** Our HTTP receiver (Lambda, local server); omitted for Socket Mode. */
  receiver?: Receiver;
  socketMode?: { appToken: string };
  /** Read per event, so a rotated token is used at once; may be absent locally. */
  botToken: () => Promise<string | undefined>;
  slackApiUrl?: string;
}

/** Bolt's logger interface over ours, so Bolt's messages are JSON lines and pass through the secret redactor. */
function boltLogger(logger: Logger): SlackLogger {
  let level = LogLevel.INFO;
  return {
    debug: (...m: unknown[]) => logger.debug(m.map(String).join(' '), { source: 'bolt' }),
    info: (...m: unknown[]) => logger.info(m.map(String).join(' '), { source: 'bolt' }),
    warn: (...m: unknown[]) => logger.warn(m.map(String).join(' '), { source: 'bolt' }),
    error: (...m: unknown[]) => logger.error(m.map(String).join(' '), { source: 'bolt' }),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
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
    logger: boltLogger(options.deps.logger),
    clientOptions: options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : undefined,
  });
  registerListeners(app, options.deps);
  return app;
}
