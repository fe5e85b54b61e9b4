import { errorMessage, noticeMessage } from '../../blocks/common.js';
import type { Message } from '../../blocks/kit.js';
import { field } from '../../blocks/mrkdwn.js';
import { audit } from '../../jobs/audit.js';
import { RetryJobError, type RevocationWorkerDeps, type WorkerDeps } from '../../jobs/deps.js';
import { liveExemptions } from '../../jobs/exemptions.js';
import { type Job, jobIdFor } from '../../jobs/job.js';
import type { Logger } from '../../log.js';
import {
  type CreatedRequest,
  createRequests,
  decide,
  type Execution,
  executeRequest,
  type RevocationDeps,
} from '../../services/revocation.js';
import type { Replier } from '../../slack/replier.js';
import type { RequestedKey, RevocationRequest } from '../../store/requests.js';
import { plural } from '../../util/time.js';
import { publishStoredHome } from '../home/jobs.js';
import { toCsv } from '../stale/csv.js';
import {
  type ApproverView,
  approvalMessage,
  auditLine,
  countOutcomes,
  criterionText,
  MAX_LISTED_KEYS,
  mention,
  ownerRevokedNotice,
  requesterNotice,
} from './blocks.js';

export type { RevocationWorkerDeps };

type RequestJob = Job & { kind: 'revoke.request' };
type DecideJob = Job & { kind: 'revoke.decide' };
type ExecuteJob = Job & { kind: 'revoke.execute' };
type ResumeJob = Job & { kind: 'revoke.resume' };

/** The presser, privately; undefined when nobody pressed anything (a continuation or the sweep). */
export type Notify = ((message: Message) => Promise<void>) | undefined;

function revocation(deps: WorkerDeps): RevocationWorkerDeps {
  if (!deps.revocation) throw new Error('revocation is not wired into this worker');
  return deps.revocation;
}

/**
 * The revocation use cases' deps. Exemptions matter only when a request is made (exempt keys are left out), so they
 * are read then, not on every execution slice.
 */
export async function revocationServiceDeps(
  deps: WorkerDeps,
  options: { exemptions?: boolean } = {},
): Promise<RevocationDeps> {
  const r = revocation(deps);
  return {
    store: r.store,
    providers: await deps.providers(),
    clock: deps.clock,
    logger: deps.logger,
    dryRun: r.dryRun,
    sliceMs: r.sliceMs,
    deadlineMs: r.deadlineMs,
    ...(options.exemptions ? { exemptions: await liveExemptions(deps) } : {}),
    metrics: deps.metrics,
  };
}

const view = (r: RevocationWorkerDeps): ApproverView => ({
  users: r.approvers.users,
  group: r.approvers.group,
});
const ephemeralOnly = { replace: false };

/**
 * A request is made: record one request per vendor (each key read again and checked against what the request
 * claims), post each for approval, and tell the requester where and what was left out.
 */
export async function runRevocationRequest(
  job: RequestJob,
  deps: WorkerDeps,
  replier: Replier,
): Promise<void> {
  const r = revocation(deps);
  const channel = r.approvalsChannel;
  if (!channel) {
    await replier.send(
      noticeMessage(
        ':warning: Revocation requests are turned off: `KEYWARDEN_APPROVALS_CHANNEL` is not set, and a request (key names, owners, last use) must not be posted wherever a command was typed. Ask whoever runs Keywarden to set it. Nothing was recorded.',
      ),
      ephemeralOnly,
    );
    return;
  }
  const created = await createRequests(
    job.source,
    {
      requester: job.origin.user,
      reason: job.reason,
      ttlHours: r.ttlHours,
      origin: { channel: job.origin.channel, user: job.origin.user },
    },
    await revocationServiceDeps(deps, { exemptions: true }),
  );
  const lines: string[] = [];
  const unposted: string[] = [];
  for (const { request } of created)
    await audit(deps, {
      type: 'request.raised',
      actor: { user: job.origin.user, team: job.origin.team },
      subject: {
        request: request.id,
        keys: request.keyCount,
        vendors: request.vendors,
        reason: request.reason,
      },
    });
  for (const { request, keys } of created) {
    if (!(await postForApproval(request, keys, deps, channel))) unposted.push(request.id);
    lines.push(`• *${request.id}*: ${requestSummary(request)}`);
  }
  if (unposted.length) {
    await replier.send(
      errorMessage(
        `${unposted.join(', ')} ${unposted.length === 1 ? 'was' : 'were'} recorded, but Keywarden could not post ${unposted.length === 1 ? 'it' : 'them'} in the approvals channel (invite the bot there). Nobody can approve ${unposted.length === 1 ? 'it' : 'them'} until then; ${unposted.length === 1 ? 'it expires' : 'they expire'} on ${unposted.length === 1 ? 'its' : 'their'} own.`,
      ),
      ephemeralOnly,
    );
    if (unposted.length === created.length) return;
  }
  const dry = created.some((c) => c.request.dryRun) ? ' (DRY RUN: nothing will be deleted)' : '';
  const head =
    created.length === 1
      ? `:inbox_tray: Request waiting for a second admin in <#${channel}>${dry}:`
      : `:inbox_tray: ${created.length} requests, one per vendor, waiting for a second admin in <#${channel}>${dry}:`;
  const dropped = droppedText(created);
  await replier.send(noticeMessage([head, ...lines].join('\n'), dropped), ephemeralOnly);
}

/**
 * Posts a recorded request in the approvals channel, once: a request whose message is already recorded (a retried
 * policy run) is left as it is. False when Slack refused the post (the request stays recorded and expires).
 */
export async function postForApproval(
  request: RevocationRequest,
  keys: RequestedKey[],
  deps: WorkerDeps,
  channel: string,
): Promise<boolean> {
  const r = revocation(deps);
  if (request.message) return true;
  try {
    const posted = await deps.slack.postMessage(
      channel,
      approvalMessage(request, keys, view(r), deps.clock.now()),
    );
    await r.store.setMessage(request.id, posted);
    return true;
  } catch (err) {
    deps.logger.error('could not post a revocation request for approval', {
      requestId: request.id,
      channel,
      err,
    });
    return false;
  }
}

function requestSummary(request: RevocationRequest): string {
  return `${plural(request.keyCount, 'key')} ${criterionText(request)}`;
}

function droppedText(created: readonly CreatedRequest[]): string | undefined {
  const dropped = created.flatMap((c) => c.request.dropped ?? []);
  if (dropped.length === 0) return undefined;
  const shown = dropped.slice(0, 5).map((d) => `${field(d.name, 60)} (${field(d.why, 80)})`);
  const more = dropped.length > 5 ? ` and ${dropped.length - 5} more` : '';
  return `Left out because they no longer qualify: ${shown.join('; ')}${more}.`;
}

/** Approve or Deny: check the presser may decide, move the state machine, then report (and revoke). */
export async function runDecide(job: DecideJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  try {
    await decideAndReport(job, deps, replier);
  } finally {
    // Pressed on the Home tab: show the presser their Home as it now stands (the channel message is updated too).
    if (job.origin.channel === job.origin.user) await publishStoredHome(job.origin.user, deps);
  }
}

async function decideAndReport(job: DecideJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  const r = revocation(deps);
  const actor = job.origin.user;
  const verb = job.decision === 'approve' ? 'approve' : 'deny';
  const allowed = await r.access.check(actor, await approversOf(job.requestId, deps), 'approvers');
  if (!allowed.allowed) {
    deps.logger.warn('refused a revocation decision from a non-approver', {
      requestId: job.requestId,
      user: actor,
      decision: job.decision,
    });
    await audit(deps, {
      type: 'decision.refused',
      actor: { user: actor, team: job.origin.team },
      subject: { request: job.requestId, decision: job.decision, why: 'not an approver' },
    });
    await replier.send(errorMessage(`You cannot ${verb} ${job.requestId}: ${allowed.reason}`), ephemeralOnly);
    return;
  }
  const d = await decide(
    r.store,
    job.requestId,
    actor,
    job.decision,
    job.decision === 'deny' ? job.reason : undefined,
  );
  if (d.kind !== 'refused' || d.why === 'expired')
    await audit(deps, {
      type:
        d.kind === 'approved'
          ? 'request.approved'
          : d.kind === 'first_approval'
            ? 'request.first_approval'
            : d.kind === 'denied'
              ? 'request.denied'
              : 'request.expired',
      actor: { user: actor, team: job.origin.team },
      subject: {
        request: job.requestId,
        ...(d.kind === 'denied' && job.decision === 'deny' ? { reason: job.reason } : {}),
      },
    });
  if (d.kind === 'refused') {
    const request = d.request;
    if (d.why === 'expired' && request) {
      await publish(request, deps, tellVia(replier));
      await replier.send(
        errorMessage(
          `${request.id} expired before it was approved. Nothing was revoked; make a new request if it is still needed.`,
        ),
        ephemeralOnly,
      );
      return;
    }
    if (d.why === 'same_approver') {
      await replier.send(
        errorMessage(`You already approved ${job.requestId}; a second approver has to approve it too.`),
        ephemeralOnly,
      );
      return;
    }
    if (d.why === 'self') {
      await replier.send(
        errorMessage(`You asked for ${job.requestId}, so a second admin has to ${verb} it.`),
        ephemeralOnly,
      );
      return;
    }
    if (d.why === 'not_found' || !request) {
      await replier.send(errorMessage(`Keywarden has no request ${job.requestId}.`), ephemeralOnly);
      return;
    }
    // Already decided: say by whom (unless this is the approver's own press, delivered again after a failure).
    // An approved request that nobody is executing (it stopped part-way, or a worker died and its lease lapsed)
    // is resumed: claiming the execution succeeds only then, so a live execution is never joined.
    const open = request.state === 'approved' || request.state === 'executing';
    const redelivered = request.approver === actor && open;
    // Not errorMessage: that escapes its sentence as vendor text, and this one carries a mention Keywarden built.
    if (!redelivered)
      await replier.send(noticeMessage(`:warning: ${alreadyDecided(request)}`), ephemeralOnly);
    if (job.decision === 'approve' && open) await execute(request.id, deps, tellVia(replier));
    return;
  }
  deps.logger.info(`revocation request ${d.kind}`, { requestId: d.request.id, by: actor });
  if (d.kind === 'approved') deps.metrics.count('RevocationsApproved');
  if (d.kind === 'denied') {
    await publish(d.request, deps, tellVia(replier));
    return;
  }
  if (d.kind === 'first_approval') {
    await updateMessage(d.request, await r.store.keys(d.request.id), deps);
    await replier.send(
      noticeMessage(
        `:ballot_box_with_check: Your approval of ${d.request.id} is recorded; it needs a second approver.`,
      ),
      ephemeralOnly,
    );
    return;
  }
  await updateMessage(d.request, await r.store.keys(d.request.id), deps);
  await execute(d.request.id, deps, tellVia(replier));
}

/** "Retry now" on a request that stopped part-way. */
export async function runExecute(job: ExecuteJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  const r = revocation(deps);
  const allowed = await r.access.check(job.origin.user, await approversOf(job.requestId, deps), 'approvers');
  if (!allowed.allowed) {
    deps.logger.warn('refused a retry from a non-approver', {
      requestId: job.requestId,
      user: job.origin.user,
    });
    await replier.send(errorMessage(`You cannot retry ${job.requestId}: ${allowed.reason}`), ephemeralOnly);
    return;
  }
  const request = await r.store.get(job.requestId);
  if (!request) {
    await replier.send(errorMessage(`Keywarden has no request ${job.requestId}.`), ephemeralOnly);
    return;
  }
  const now = deps.clock.now().getTime();
  if (request.state === 'executing' && (request.leaseUntil ?? 0) >= now) {
    await replier.send(
      noticeMessage(
        `${request.id} is being carried out right now. If that run dies, Keywarden resumes it after ${new Date(request.leaseUntil ?? now).toISOString()}; nothing to do.`,
      ),
      ephemeralOnly,
    );
    return;
  }
  if (request.state !== 'approved' && request.state !== 'executing') {
    await replier.send(noticeMessage(`:warning: ${alreadyDecided(request)}`), ephemeralOnly);
    return;
  }
  deps.logger.info('revocation retried by an approver', { requestId: request.id, by: job.origin.user });
  await execute(job.requestId, deps, tellVia(replier));
}

/**
 * A continuation or the sweep: resume an approved request nobody is executing. Nobody pressed anything, so there
 * is nobody to answer privately; the approval message and the thread carry the news.
 */
export async function runResume(job: ResumeJob, deps: WorkerDeps): Promise<void> {
  deps.logger.info('resuming a revocation', { requestId: job.requestId, why: job.why });
  await execute(job.requestId, deps, undefined);
}

/** The request's own approvers when its policy names them, otherwise the configured ones. */
async function approversOf(requestId: string, deps: WorkerDeps) {
  const r = revocation(deps);
  const request = await r.store.get(requestId);
  return request?.approvers?.length ? { users: request.approvers } : r.approvers;
}

function tellVia(replier: Replier): Notify {
  return async (message) => {
    await replier.send(message, ephemeralOnly);
  };
}

function alreadyDecided(r: RevocationRequest): string {
  switch (r.state) {
    case 'denied':
      return `${r.id} was already denied by ${mention(r.deniedBy)}.`;
    case 'expired':
      return `${r.id} has expired.`;
    case 'done':
      return `${r.id} was already approved by ${mention(r.approver)} and carried out.`;
    default:
      return `${r.id} was already approved by ${mention(r.approver)}.`;
  }
}

/** Runs an approved request to its end (or to its next slice), telling `notify` what the presser should know. */
export async function execute(requestId: string, deps: WorkerDeps, notify: Notify): Promise<void> {
  const result: Execution = await executeRequest(requestId, await revocationServiceDeps(deps));
  if (result.kind === 'not_runnable') {
    deps.logger.info('revocation not run: done already, or running elsewhere', {
      requestId,
      state: result.request?.state,
    });
    return;
  }
  if (result.kind === 'continue') {
    await updateMessage(result.request, result.keys, deps);
    await continueLater(result.request, deps);
    return;
  }
  if (result.kind === 'partial') {
    deps.metrics.count('RevocationsFailed');
    await updateMessage(result.request, result.keys, deps);
    await notify?.(
      errorMessage(
        `${requestId} stopped part-way: ${result.error} Keys already revoked stay revoked; Keywarden will retry the rest.`,
      ),
    );
    // A press is delivered again by the queue; a resumption is picked up again by the sweep.
    if (notify) throw new RetryJobError(`${requestId} stopped part-way: ${result.error}`);
    return;
  }
  await publish(result.request, deps, notify, result.keys);
}

/** Queues the next slice of a long revocation; if that fails, the sweep of stuck requests picks it up. */
async function continueLater(request: RevocationRequest, deps: WorkerDeps): Promise<void> {
  const job = {
    kind: 'revoke.resume' as const,
    id: jobIdFor(`${request.id}:${request.attempt}`, 'revoke.resume.continue'),
    requestId: request.id,
    why: 'continue' as const,
  };
  if (!deps.queue) {
    deps.logger.warn('no queue to continue a revocation on; the sweep will resume it', {
      requestId: request.id,
    });
    return;
  }
  try {
    await deps.queue.enqueue(job);
  } catch (err) {
    deps.logger.error('could not queue the next slice of a revocation; the sweep will resume it', {
      requestId: request.id,
      err,
    });
  }
}

/**
 * A request reached an end state (done, denied, expired): update its message in place, tell the requester in the
 * thread, attach the outcome as CSV when there are many keys, and write the audit line. Each end state is reached
 * by exactly one conditional write, so this runs once per request.
 */
async function publish(
  request: RevocationRequest,
  deps: WorkerDeps,
  notify: Notify,
  known?: RequestedKey[],
): Promise<void> {
  const r = revocation(deps);
  const keys = known ?? (await r.store.keys(request.id));
  await updateMessage(request, keys, deps);
  const thread = request.message;
  const tasks: Array<Promise<unknown>> = [];
  if (thread) {
    tasks.push(
      deps.slack.postMessage(thread.channel, requesterNotice(request, keys), { threadTs: thread.ts }),
    );
    if (request.state === 'done' && keys.length > MAX_LISTED_KEYS) {
      tasks.push(
        deps.slack.uploadFile({
          channel: thread.channel,
          threadTs: thread.ts,
          filename: `${request.id}-outcome.csv`,
          title: `${request.id}: outcome per key`,
          content: outcomeCsv(keys),
        }),
      );
    }
  } else if (notify) {
    tasks.push(notify(requesterNotice(request, keys)));
  }
  if (r.auditChannel) tasks.push(deps.slack.postMessage(r.auditChannel, auditLine(request, keys)));
  if (request.state === 'done' && !request.dryRun) tasks.push(tellOwners(request, keys, deps));
  if (request.state === 'done')
    await audit(deps, {
      type: 'request.executed',
      subject: {
        request: request.id,
        dryRun: request.dryRun,
        outcomes: request.summary ?? countOutcomes(keys),
        deleted: keys
          .filter((k) => k.outcome === 'deleted')
          .map((k) => `${k.vendor}:${k.id}`)
          .slice(0, 1000),
      },
    });
  const results = await Promise.allSettled(tasks);
  for (const res of results) if (res.status === 'rejected') logNotice(deps.logger, request.id, res.reason);
}

/**
 * Each owner whose key was deleted is told which key, why, and who approved it, by DM, when Slack knows their email.
 * An owner Slack does not know is named in the request's thread and audit line already.
 */
async function tellOwners(
  request: RevocationRequest,
  keys: readonly RequestedKey[],
  deps: WorkerDeps,
): Promise<void> {
  const directory = deps.policy?.directory;
  if (!directory) return;
  const byOwner = new Map<string, RequestedKey[]>();
  for (const k of keys) {
    const email = k.ownerEmail?.trim().toLowerCase();
    if (k.outcome !== 'deleted' || !email) continue;
    byOwner.set(email, [...(byOwner.get(email) ?? []), k]);
  }
  if (byOwner.size === 0) return;
  const users = await directory.usersByEmail([...byOwner.keys()]);
  for (const [email, owned] of byOwner) {
    const user = users.get(email);
    if (!user) continue;
    try {
      await deps.slack.postMessage(await deps.slack.openDm(user), ownerRevokedNotice(request, owned));
    } catch (err) {
      deps.logger.warn('could not tell an owner their key was revoked', { requestId: request.id, err });
    }
  }
}

async function updateMessage(
  request: RevocationRequest,
  keys: RequestedKey[],
  deps: WorkerDeps,
): Promise<void> {
  if (!request.message) return;
  const r = revocation(deps);
  try {
    await deps.slack.update(
      request.message.channel,
      request.message.ts,
      approvalMessage(request, keys, view(r), deps.clock.now()),
    );
  } catch (err) {
    logNotice(deps.logger, request.id, err);
  }
}

function logNotice(logger: Logger, requestId: string, err: unknown): void {
  logger.error('could not post a revocation notice (the request itself is recorded)', { requestId, err });
}

export function outcomeCsv(keys: readonly RequestedKey[]): string {
  return toCsv(
    ['vendor', 'key_id', 'name', 'type', 'owner_email', 'last_used_at_request', 'outcome', 'detail'],
    keys.map((k) => [
      k.vendor,
      k.id,
      k.name,
      k.type,
      k.ownerEmail,
      k.lastUsedAt ?? 'never',
      k.outcome ?? 'not done',
      k.detail,
    ]),
  );
}
