import type { SlashCommand as BoltSlashCommand } from '@slack/bolt';
import { errorMessage } from '../blocks/common.js';
import { type SlashCommand, slashCommandSchema } from '../slack/payloads.js';
import { auditRefusal, ephemeral, type ListenerDeps } from './deps.js';

/**
 * The gate every slash command passes: a readable payload, from an admin. Refusals are answered politely and
 * logged; returns the validated command, or undefined once it has answered.
 */
export async function admitCommand(
  deps: ListenerDeps,
  command: BoltSlashCommand,
  ack: (response?: ReturnType<typeof ephemeral>) => Promise<void>,
): Promise<SlashCommand | undefined> {
  const parsed = slashCommandSchema.safeParse(command);
  if (!parsed.success) {
    deps.logger.warn('unreadable slash command payload', {
      issues: parsed.error.issues.map((i) => i.path.join('.')),
    });
    await ack(ephemeral(errorMessage('Slack sent a command Keywarden could not read. Please try again.')));
    return undefined;
  }
  const cmd = parsed.data;
  const decision = await deps.access.check(cmd.user_id, deps.admins, 'admins');
  if (!decision.allowed) {
    deps.logger.warn('refused a command from a user who is not an admin', {
      user: cmd.user_id,
      command: cmd.command,
    });
    await ack(
      ephemeral(
        errorMessage(
          `Sorry, ${cmd.command} is for Keywarden admins. ${decision.reason} Ask your security team if you need access.`,
        ),
      ),
    );
    await auditRefusal(deps, {
      type: 'access.refused',
      actor: { user: cmd.user_id, team: cmd.team_id },
      subject: { command: cmd.command, channel: cmd.channel_id },
    });
    return undefined;
  }
  return cmd;
}
