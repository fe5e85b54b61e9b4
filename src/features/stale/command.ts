import type { SlackCommandMiddlewareArgs } from '@slack/bolt';
import { helpMessage, usageMessage } from '../../blocks/common.js';
import { keysUsage, parseKeysCommand } from '../../commands/grammar.js';
import { jobIdFor } from '../../jobs/job.js';
import { admitCommand } from '../../listeners/admit-command.js';
import { commandOrigin, ephemeral, handOff, type ListenerDeps } from '../../listeners/deps.js';
import { policyCommand } from '../policy/command.js';

/** `/keys`: `stale <days> [type] [--live]`, `digest`, `help`, and the policy subcommands (features/policy/command.ts). */
export function keysCommand(deps: ListenerDeps) {
  return async ({ command, ack }: SlackCommandMiddlewareArgs): Promise<void> => {
    const cmd = await admitCommand(deps, command, ack);
    if (!cmd) return;
    const parsed = parseKeysCommand(cmd.text, deps.vendors);
    if (!parsed.ok) return ack(ephemeral(usageMessage(parsed.problem, parsed.usage)));
    if (parsed.command.kind === 'keys.digest') {
      return handOff(
        deps,
        {
          kind: 'digest.preview',
          id: jobIdFor(cmd.trigger_id, 'digest.preview'),
          origin: commandOrigin(cmd, deps),
        },
        ack,
        ':bar_chart: Putting the weekly digest together… the preview replaces this message.',
      );
    }
    const c = parsed.command;
    if (c.kind === 'keys.policy' || c.kind === 'keys.exempt' || c.kind === 'keys.exemptions')
      return policyCommand(deps, cmd, c, ack);
    if (c.kind === 'keys.audit')
      return handOff(
        deps,
        {
          kind: 'audit.recent',
          id: jobIdFor(cmd.trigger_id, 'audit.recent'),
          origin: commandOrigin(cmd, deps),
          days: c.days,
        },
        ack,
        ':hourglass_flowing_reduced: Reading the audit trail…',
      );
    if (parsed.command.kind !== 'keys.stale') return ack(ephemeral(helpMessage(keysUsage(deps.vendors))));
    const { days, type, vendor, live } = parsed.command;
    await handOff(
      deps,
      {
        kind: 'keys.stale',
        id: jobIdFor(cmd.trigger_id, 'keys.stale'),
        origin: commandOrigin(cmd, deps),
        days,
        type,
        vendor,
        mode: 'report',
        offset: 0,
        reply: 'replace',
        ...(live ? { live } : {}),
      },
      ack,
      `:mag: Scanning for keys unused in ${days}+ days${type || vendor ? ` (${[type, vendor].filter(Boolean).join(', ')} only)` : ''}${live ? ', asking the vendors' : ''}… the answer replaces this message.`,
    );
  };
}
