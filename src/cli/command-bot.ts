import type { Clock } from '../domain/clock.js';
import type { Transport } from '../http/transport.js';
import { type LocalBot, type LocalBotOptions, startLocalBot } from '../local/bot.js';
import { jsonLogger } from '../log.js';
import type { VendorRegistry } from '../providers/registry.js';
import { escapeJsonForTerminal } from '../util/text-safety.js';

/**
 * The local bot for a command that runs once and exits (`policy run`, `inventory sync`): on this machine's store,
 * on a free port, without the sweep or the policy schedule, its log on stderr only with --debug.
 */
export function startCommandBot(
  io: {
    env: NodeJS.ProcessEnv;
    clock?: Clock;
    transport?: Transport;
    dataDir?: string | null;
    stderr: (text: string) => void;
  },
  options: { registry: VendorRegistry; debug: boolean } & Partial<LocalBotOptions>,
): Promise<LocalBot> {
  const { debug, ...rest } = options;
  return startLocalBot({
    env: io.env,
    port: 0,
    clock: io.clock,
    transport: io.transport,
    dataDir: io.dataDir,
    sweepEveryMs: 0,
    policyCheckEveryMs: 0,
    logger: jsonLogger({
      level: debug ? 'debug' : 'error',
      write: (line) => (debug ? io.stderr(`${escapeJsonForTerminal(line)}\n`) : undefined),
    }),
    ...rest,
  });
}
