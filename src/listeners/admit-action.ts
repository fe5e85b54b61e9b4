import { errorMessage } from '../blocks/common.js';
import type { Message } from '../blocks/kit.js';
import type { JobOrigin, PersonJobInput } from '../jobs/job.js';
import { type BlockAction, blockActionSchema } from '../slack/payloads.js';
import { auditRefusal, type ListenerDeps, queued, trustedOrDropped } from './deps.js';

export interface AdmittedAction {
  action: BlockAction;
  value: string | undefined;
  origin: JobOrigin;
  /** Tells the presser something privately (through the action's response_url). */
  tell(sentence: string): Promise<void>;
  /** Answers the presser privately with a whole message. */
  answer(message: Message): Promise<void>;
}

/**
 * The gate for button presses: a readable payload, from a channel, optionally from an admin. Returns undefined
 * once it has answered (or when there is nobody to answer). The caller has already acknowledged.
 */
export async function admitAction(
  deps: ListenerDeps,
  body: unknown,
  requireAdmin: boolean,
): Promise<AdmittedAction | undefined> {
  const parsed = blockActionSchema.safeParse(body);
  if (!parsed.success) {
    deps.logger.warn('unreadable block action payload', {
      issues: parsed.error.issues.map((i) => i.path.join('.')),
    });
    return undefined;
  }
  const action = { ...parsed.data, response_url: trustedOrDropped(deps, parsed.data.response_url) };
  const answer = async (message: Message) => {
    if (!action.response_url) return;
    await deps.slack
      .respond(action.response_url, { ...message, replaceOriginal: false })
      .catch((err: unknown) => deps.logger.warn('could not answer a button press', { err }));
  };
  const tell = (sentence: string) => answer(errorMessage(sentence));
  // A press on the Home tab has no channel: its answers go to the presser directly (a DM).
  const onHome = (action.container as { type?: string } | null | undefined)?.type === 'view';
  const channel = action.channel?.id ?? action.container?.channel_id ?? (onHome ? action.user.id : undefined);
  if (!channel) {
    await tell('That button is out of date. Run the command again.');
    return undefined;
  }
  if (requireAdmin) {
    const decision = await deps.access.check(action.user.id, deps.admins, 'admins');
    if (!decision.allowed) {
      deps.logger.warn('refused a button press from a user who is not an admin', {
        user: action.user.id,
        action: action.actions[0]?.action_id,
      });
      await tell(`Sorry, this is for Keywarden admins. ${decision.reason}`);
      await auditRefusal(deps, {
        type: 'access.refused',
        actor: { user: action.user.id, ...(action.team?.id ? { team: action.team.id } : {}) },
        subject: { action: action.actions[0]?.action_id ?? 'unknown', channel },
      });
      return undefined;
    }
  }
  return {
    action,
    value: action.actions[0]?.value,
    origin: {
      user: action.user.id,
      channel,
      team: action.team?.id ?? undefined,
      responseUrl: action.response_url,
      issuedAt: deps.clock.now().getTime(),
    },
    tell,
    answer,
  };
}

/** Queues a job from a button press; a refusal or a queue failure is told to the presser privately. */
export async function enqueueFrom(
  deps: ListenerDeps,
  admitted: AdmittedAction,
  job: PersonJobInput,
): Promise<void> {
  const result = await queued(deps, job);
  if (result.kind !== 'queued') await admitted.answer(result.message);
}
