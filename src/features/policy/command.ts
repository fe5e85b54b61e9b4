import type { Command } from '../../commands/grammar.js';
import { jobIdFor } from '../../jobs/job.js';
import { commandOrigin, type ephemeral, handOff, type ListenerDeps } from '../../listeners/deps.js';
import type { SlashCommand } from '../../slack/payloads.js';

type PolicyCommand = Extract<Command, { kind: 'keys.policy' | 'keys.exempt' | 'keys.exemptions' }>;

/** `/keys policy [name]`, `/keys exempt <vendor>:<key-id> <days> <reason>`, `/keys exemptions` (admins only). */
export async function policyCommand(
  deps: ListenerDeps,
  cmd: SlashCommand,
  c: PolicyCommand,
  ack: (response?: ReturnType<typeof ephemeral>) => Promise<void>,
): Promise<void> {
  const origin = commandOrigin(cmd, deps);
  switch (c.kind) {
    case 'keys.policy':
      return handOff(
        deps,
        { kind: 'policy.plan', id: jobIdFor(cmd.trigger_id, 'policy.plan'), origin, policy: c.policy },
        ack,
        ':clipboard: Working out what the policies would do now (nothing is done)… the plan replaces this message.',
      );
    case 'keys.exempt':
      return handOff(
        deps,
        {
          kind: 'exempt.grant',
          id: jobIdFor(cmd.trigger_id, 'exempt.grant'),
          origin,
          vendor: c.vendor,
          keyId: c.keyId,
          days: c.days,
          reason: c.reason,
        },
        ack,
        ':hourglass_flowing_reduced: Recording the exemption…',
      );
    case 'keys.exemptions':
      return handOff(
        deps,
        { kind: 'exempt.list', id: jobIdFor(cmd.trigger_id, 'exempt.list'), origin },
        ack,
        ':hourglass_flowing_reduced: Reading the exemptions…',
      );
  }
}
