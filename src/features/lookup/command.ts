import type { SlackCommandMiddlewareArgs } from '@slack/bolt';
import { helpMessage, usageMessage } from '../../blocks/common.js';
import { field } from '../../blocks/mrkdwn.js';
import { parseUserCommand, USER_USAGE } from '../../commands/grammar.js';
import { jobIdFor } from '../../jobs/job.js';
import { admitCommand } from '../../listeners/admit-command.js';
import { commandOrigin, ephemeral, handOff, type ListenerDeps } from '../../listeners/deps.js';

/** `/user lookup <email|id|name> [--live]` and `/user help`. */
export function userCommand(deps: ListenerDeps) {
  return async ({ command, ack }: SlackCommandMiddlewareArgs): Promise<void> => {
    const cmd = await admitCommand(deps, command, ack);
    if (!cmd) return;
    const parsed = parseUserCommand(cmd.text);
    if (!parsed.ok) return ack(ephemeral(usageMessage(parsed.problem, parsed.usage)));
    if (parsed.command.kind !== 'user.lookup') return ack(ephemeral(helpMessage(USER_USAGE)));
    const { query, live } = parsed.command;
    await handOff(
      deps,
      {
        kind: 'user.lookup',
        id: jobIdFor(cmd.trigger_id, 'user.lookup'),
        origin: commandOrigin(cmd, deps),
        query,
        ...(live ? { live } : {}),
      },
      ack,
      `:mag: Looking up ${field(query, 100)}…`,
    );
  };
}
