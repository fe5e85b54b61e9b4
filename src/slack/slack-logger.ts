import { LogLevel, type Logger as SlackLogger } from '@slack/logger';
import type { Logger } from '../domain/logger.js';

/**
 * Slack's logger interface over ours, so Bolt's and the Web API client's messages are JSON lines that carry the
 * correlation id and pass through the secret redactor.
 */
export function slackLogger(logger: Logger, source: 'bolt' | 'web-api'): SlackLogger {
  let level = LogLevel.INFO;
  return {
    debug: (...m: unknown[]) => logger.debug(m.map(String).join(' '), { source }),
    info: (...m: unknown[]) => logger.info(m.map(String).join(' '), { source }),
    warn: (...m: unknown[]) => logger.warn(m.map(String).join(' '), { source }),
    error: (...m: unknown[]) => logger.error(m.map(String).join(' '), { source }),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
