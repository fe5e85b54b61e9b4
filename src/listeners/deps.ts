import type { AccessPolicy, Audience } from '../auth/access.js';
import { errorMessage, noticeMessage } from '../blocks/common.js';
import type { Message } from '../blocks/kit.js';
import type { JobInput, JobOrigin, JobQueue } from '../jobs/job.js';
import type { Logger } from '../log.js';
import type { SlackApi } from '../slack/api.js';
import type { SlashCommand } from '../slack/payloads.js';

export interface ListenerDeps {
  access: AccessPolicy;
  admins: Audience;
  queue: JobQueue;
  slack: SlackApi;
  logger: Logger;
  now: () => number;
}

/** Where a slash command's answer goes: the admin, the channel, and the command's response_url. */
export function commandOrigin(cmd: SlashCommand, deps: ListenerDeps): JobOrigin {
  return {
    user: cmd.user_id,
    channel: cmd.channel_id,
    team: cmd.team_id,
    responseUrl: cmd.response_url,
    issuedAt: deps.now(),
  };
}

/** An ephemeral answer to a slash command (what `ack` sends back in the HTTP response). */
export function ephemeral(message: Message) {
  return { response_type: 'ephemeral' as const, text: message.text, blocks: message.blocks };
}

/** Queues a job; a failure is logged and reported as false, for the caller to tell the user. */
export async function queued(deps: ListenerDeps, job: JobInput): Promise<boolean> {
  try {
    await deps.queue.enqueue(job);
  } catch (err) {
    deps.logger.error('could not queue a job', { jobId: job.id, kind: job.kind, err });
    return false;
  }
  deps.logger.info('job queued', {
    jobId: job.id,
    kind: job.kind,
    user: 'origin' in job ? job.origin.user : undefined,
  });
  return true;
}

/**
 * Hands a job to the worker and says so. The job is queued before the acknowledgement so that a queue failure
 * is told to the admin in that same answer: nothing is dropped silently.
 */
export async function handOff(
  deps: ListenerDeps,
  job: JobInput,
  ack: (response?: ReturnType<typeof ephemeral>) => Promise<void>,
  startedText: string,
): Promise<void> {
  if (!(await queued(deps, job))) {
    await ack(
      ephemeral(
        errorMessage(
          'Keywarden could not start this: its work queue is unavailable. Nothing was run; try again in a minute.',
        ),
      ),
    );
    return;
  }
  await ack(ephemeral(noticeMessage(startedText)));
}
