import type { AccessPolicy, Audience } from '../auth/access.js';
import { errorMessage, noticeMessage } from '../blocks/common.js';
import type { Message } from '../blocks/kit.js';
import type { AuditEventInput, AuditStore } from '../domain/audit.js';
import type { Clock } from '../domain/clock.js';
import type { HomeStore } from '../domain/home.js';
import type { Metrics } from '../domain/metrics.js';
import type { Policy, PolicyStore } from '../domain/policy.js';
import type { RevocationStore } from '../domain/revocation.js';
import type { VendorCatalog } from '../domain/vendors.js';
import type { SharedReads } from '../features/home/data.js';
import type { JobOrigin, JobQueue, PersonJobInput } from '../jobs/job.js';
import type { Logger } from '../log.js';
import { appendAudit } from '../services/audit.js';
import type { SlackApi } from '../slack/api.js';
import type { SlashCommand } from '../slack/payloads.js';
import { urlHost } from '../slack/response-url.js';
import type { Admission, WorkLimiter } from '../store/work-limits.js';

export interface ListenerDeps {
  access: AccessPolicy;
  admins: Audience;
  /** Who may approve, deny or retry a revocation: checked before such a press becomes a job. */
  approvers: Audience;
  queue: JobQueue;
  /** Slots for queued and running work, taken before a job is queued. */
  limits: WorkLimiter;
  slack: SlackApi;
  logger: Logger;
  /** Counts what is handed to the worker, by kind. */
  metrics: Metrics;
  clock: Clock;
  /** The vendors the command grammar accepts (the registry's). */
  vendors: VendorCatalog;
  /** The audit trail, where refusals are recorded; absent where it is not wired. */
  audit?: AuditStore;
  /** The App Home's stored state; absent where the Home is not wired. */
  home?: {
    store: HomeStore;
    requests?: Pick<RevocationStore, 'listOpen' | 'get'>;
    policy?: Pick<PolicyStore, 'exemptions' | 'lastRuns'>;
    policies: readonly Policy[];
    /** Reads shared by every Home, kept for a few seconds. */
    shared?: SharedReads;
  };
}

/**
 * Records a refusal in the audit trail, after the person has had their answer. The trail records; it never decides,
 * so a failed append is logged and nothing else changes.
 */
export async function auditRefusal(deps: ListenerDeps, input: AuditEventInput): Promise<void> {
  if (!deps.audit) return;
  await appendAudit(deps.audit, deps.clock, input).catch((err: unknown) =>
    deps.logger.error('could not record an audit event', { type: input.type, err }),
  );
}

/**
 * The payload's response_url if it is Slack's; otherwise none, and the answer goes by ephemeral message or DM.
 * Checked here at the edge and again by the Slack port before any post.
 */
export function trustedOrDropped(deps: ListenerDeps, url: string | undefined): string | undefined {
  if (url === undefined || deps.slack.trustsResponseUrl(url)) return url;
  deps.logger.warn('ignored a response_url that is not Slack’s', { host: urlHost(url) });
  return undefined;
}

/** Where a slash command's answer goes: the admin, the channel, and the command's response_url. */
export function commandOrigin(cmd: SlashCommand, deps: ListenerDeps): JobOrigin {
  return {
    user: cmd.user_id,
    channel: cmd.channel_id,
    team: cmd.team_id,
    responseUrl: trustedOrDropped(deps, cmd.response_url),
    issuedAt: deps.clock.now().getTime(),
  };
}

/** An ephemeral answer to a slash command (what `ack` sends back in the HTTP response). */
export function ephemeral(message: Message) {
  return { response_type: 'ephemeral' as const, text: message.text, blocks: message.blocks };
}

/** What became of a job handed to `queued`: queued, refused (with the sentence to say), or the queue failed. */
export type QueueResult =
  | { kind: 'queued' }
  | { kind: 'refused'; message: Message }
  | { kind: 'queue-failed'; message: Message };

/**
 * Takes a work slot for the job, then queues it. A refusal is one sentence for the person; a queue failure gives
 * the slot back and is reported too: nothing is dropped silently. DynamoDB is asked once to admit a job, and once
 * more only to explain a refusal.
 */
export async function queued(deps: ListenerDeps, job: PersonJobInput): Promise<QueueResult> {
  let admission: Admission;
  try {
    admission = await deps.limits.admit(job);
  } catch (err) {
    // Fail open: the limits protect the vendors from a flood, they are not a permission. A scan or lookup run
    // without a slot is what Keywarden did before the limits, and revocations are gated by approvers and the
    // request state machine whatever happens here. Refusing everything while DynamoDB is down would only add
    // an outage to an outage.
    deps.logger.warn('could not check the work limits; queuing the job without a slot', {
      jobId: job.id,
      kind: job.kind,
      err,
    });
    admission = { kind: 'admitted' };
  }
  if (admission.kind !== 'admitted') {
    deps.logger.info('job refused by the work limits', {
      jobId: job.id,
      kind: job.kind,
      user: job.origin.user,
      why: admission.kind,
    });
    return { kind: 'refused', message: refusal(admission, job) };
  }
  try {
    await deps.queue.enqueue(job);
  } catch (err) {
    deps.logger.error('could not queue a job', { jobId: job.id, kind: job.kind, err });
    // The slot would otherwise say "already running" about a job that never will run, until it expires. This
    // read and write come on top of the admission's one call, only when the queue has already failed.
    await deps.limits
      .release(job)
      .catch((e: unknown) => deps.logger.warn('could not give back a work slot', { jobId: job.id, err: e }));
    return {
      kind: 'queue-failed',
      message: errorMessage(
        'Keywarden could not start this: its work queue is unavailable. Nothing was run; try again in a minute.',
      ),
    };
  }
  deps.logger.info('job queued', { jobId: job.id, kind: job.kind, user: job.origin.user });
  deps.metrics.count('Commands', { kind: job.kind });
  return { kind: 'queued' };
}

/** One sentence: why this job was not queued. */
function refusal(admission: Exclude<Admission, { kind: 'admitted' }>, job: PersonJobInput): Message {
  switch (admission.kind) {
    case 'coalesced': {
      const where = admission.channel === job.origin.channel ? 'here' : `in <#${admission.channel}>`;
      return noticeMessage(`:hourglass_flowing_sand: ${sameWorkSentence(job, where)}`);
    }
    case 'user-limit':
      return errorMessage(
        `You already have ${admission.limit} job${admission.limit === 1 ? '' : 's'} running; wait for one to finish.`,
      );
    case 'global-limit':
      return errorMessage(
        `Keywarden is already running ${admission.limit} jobs, as many as it takes at once; try again in a minute.`,
      );
    case 'contended':
      return errorMessage('Keywarden was starting other work at that very moment; try again.');
  }
}

function sameWorkSentence(job: PersonJobInput, where: string): string {
  switch (job.kind) {
    case 'keys.stale':
      return job.mode === 'csv'
        ? 'You already asked for that CSV; it will come to you in a direct message.'
        : `You already have that scan running; it will answer ${where}.`;
    case 'user.lookup':
      return `You already have that lookup running; it will answer ${where}.`;
    case 'digest.preview':
      return `You already have a digest preview being put together; it will answer ${where}.`;
    default:
      return `You already asked for that; it will answer ${where}.`;
  }
}

/**
 * Hands a job to the worker and says so. The job is queued before the acknowledgement so that a refusal or a
 * queue failure is told to the admin in that same answer.
 */
export async function handOff(
  deps: ListenerDeps,
  job: PersonJobInput,
  ack: (response?: ReturnType<typeof ephemeral>) => Promise<void>,
  startedText: string,
): Promise<void> {
  const result = await queued(deps, job);
  await ack(ephemeral(result.kind === 'queued' ? noticeMessage(startedText) : result.message));
}
