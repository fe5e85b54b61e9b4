import type { AccessPolicy, Audience } from '../auth/access.js';
import {
  type ApproverView,
  approvalMessage,
  auditLine,
  MAX_LISTED_KEYS,
  mention,
  requesterNotice,
} from '../blocks/approval.js';
import { errorMessage, noticeMessage } from '../blocks/common.js';
import { toCsv } from '../blocks/csv.js';
import type { Logger } from '../log.js';
import {
  createRequest,
  decide,
  type Execution,
  executeRequest,
  type RevocationDeps,
} from '../services/revocation.js';
import type { Replier } from '../slack/replier.js';
import type { RequestedKey, RequestStore, RevocationRequest } from '../store/requests.js';
import type { Job } from './job.js';
import { RetryJobError, type WorkerDeps } from './worker.js';

/** What the worker needs for approve-to-revoke, beyond the common worker dependencies. */
export interface RevocationWorkerDeps {
  store: RequestStore;
  access: AccessPolicy;
  approvers: Audience;
  /** Where requests are posted; the origin channel when unset. */
  approvalsChannel?: string;
  auditChannel?: string;
  dryRun: boolean;
  ttlHours: number;
}

type RequestJob = Job & { kind: 'revoke.request' };
type DecideJob = Job & { kind: 'revoke.decide' };
type ExecuteJob = Job & { kind: 'revoke.execute' };

function revocation(deps: WorkerDeps): RevocationWorkerDeps {
  if (!deps.revocation) throw new Error('revocation is not wired into this worker');
  return deps.revocation;
}

async function serviceDeps(deps: WorkerDeps): Promise<RevocationDeps> {
  const r = revocation(deps);
  return {
    store: r.store,
    providers: await deps.providers(),
    clock: deps.clock,
    logger: deps.logger,
    dryRun: r.dryRun,
  };
}

const view = (r: RevocationWorkerDeps): ApproverView => ({
  users: r.approvers.users,
  group: r.approvers.group,
});
const ephemeralOnly = { replace: false };

/** A request is made: record it, post it for approval, tell the requester where. */
export async function runRevocationRequest(
  job: RequestJob,
  deps: WorkerDeps,
  replier: Replier,
): Promise<void> {
  const r = revocation(deps);
  const { request, keys } = await createRequest(
    job.source,
    {
      requester: job.origin.user,
      reason: job.reason,
      ttlHours: r.ttlHours,
      origin: { channel: job.origin.channel, user: job.origin.user },
    },
    await serviceDeps(deps),
  );
  const channel = r.approvalsChannel ?? job.origin.channel;
  let posted: { channel: string; ts: string };
  try {
    posted = await deps.slack.postMessage(channel, approvalMessage(request, keys, view(r), deps.clock.now()));
  } catch (err) {
    deps.logger.error('could not post a revocation request for approval', {
      requestId: request.id,
      channel,
      err,
    });
    await replier.send(
      errorMessage(
        `Request ${request.id} was recorded, but Keywarden could not post it in the approvals channel (invite the bot there). Nobody can approve it until then; it expires on its own.`,
      ),
      ephemeralOnly,
    );
    return;
  }
  await r.store.setMessage(request.id, posted);
  const dry = request.dryRun ? ' (DRY RUN: nothing will be deleted)' : '';
  await replier.send(
    noticeMessage(
      `:inbox_tray: Request *${request.id}* to revoke ${request.keyCount.toLocaleString('en-US')} key${request.keyCount === 1 ? '' : 's'} is waiting for a second admin in <#${posted.channel}>${dry}.`,
    ),
    ephemeralOnly,
  );
}

/** Approve or Deny: check the presser may decide, move the state machine, then report (and revoke). */
export async function runDecide(job: DecideJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  const r = revocation(deps);
  const actor = job.origin.user;
  const verb = job.decision === 'approve' ? 'approve' : 'deny';
  const allowed = await r.access.check(actor, r.approvers, 'approvers');
  if (!allowed.allowed) {
    deps.logger.warn('refused a revocation decision from a non-approver', {
      requestId: job.requestId,
      user: actor,
      decision: job.decision,
    });
    await replier.send(errorMessage(`You cannot ${verb} ${job.requestId}: ${allowed.reason}`), ephemeralOnly);
    return;
  }
  const d = await decide(r.store, job.requestId, actor, job.decision);
  if (d.kind === 'refused') {
    const request = d.request;
    if (d.why === 'expired' && request) {
      await publish(request, deps, replier);
      await replier.send(
        errorMessage(
          `${request.id} expired before it was approved. Nothing was revoked; make a new request if it is still needed.`,
        ),
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
    // An approved request that nobody is executing (it stopped part-way, or a worker died) is resumed.
    const redelivered =
      request.approver === actor && (request.state === 'approved' || request.state === 'executing');
    // Not errorMessage: that escapes its sentence as vendor text, and this one carries a mention Keywarden built.
    if (!redelivered)
      await replier.send(noticeMessage(`:warning: ${alreadyDecided(request)}`), ephemeralOnly);
    if (job.decision === 'approve' && request.state === 'approved') await execute(request.id, deps, replier);
    return;
  }
  deps.logger.info(`revocation request ${d.kind}`, { requestId: d.request.id, by: actor });
  if (d.kind === 'denied') {
    await publish(d.request, deps, replier);
    return;
  }
  await updateMessage(d.request, await r.store.keys(d.request.id), deps);
  await execute(d.request.id, deps, replier);
}

/** "Retry now" on a request that stopped part-way. */
export async function runExecute(job: ExecuteJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  const r = revocation(deps);
  const allowed = await r.access.check(job.origin.user, r.approvers, 'approvers');
  if (!allowed.allowed) {
    await replier.send(errorMessage(`You cannot retry ${job.requestId}: ${allowed.reason}`), ephemeralOnly);
    return;
  }
  await execute(job.requestId, deps, replier);
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

async function execute(requestId: string, deps: WorkerDeps, replier: Replier): Promise<void> {
  const result: Execution = await executeRequest(requestId, await serviceDeps(deps));
  if (result.kind === 'not_runnable') {
    deps.logger.info('revocation not run: done already, or running elsewhere', {
      requestId,
      state: result.request?.state,
    });
    return;
  }
  if (result.kind === 'partial') {
    await updateMessage(result.request, result.keys, deps);
    await replier.send(
      errorMessage(
        `${requestId} stopped part-way: ${result.error} Keys already revoked stay revoked; Keywarden will retry the rest.`,
      ),
      ephemeralOnly,
    );
    throw new RetryJobError(`${requestId} stopped part-way: ${result.error}`);
  }
  await publish(result.request, deps, replier, result.keys);
}

/**
 * A request reached an end state (done, denied, expired): update its message in place, tell the requester in the
 * thread, attach the outcome as CSV when there are many keys, and write the audit line. Each end state is reached
 * by exactly one conditional write, so this runs once per request.
 */
async function publish(
  request: RevocationRequest,
  deps: WorkerDeps,
  replier: Replier,
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
  } else {
    tasks.push(replier.send(requesterNotice(request, keys), ephemeralOnly));
  }
  if (r.auditChannel) tasks.push(deps.slack.postMessage(r.auditChannel, auditLine(request, keys)));
  const results = await Promise.allSettled(tasks);
  for (const res of results) if (res.status === 'rejected') logNotice(deps.logger, request.id, res.reason);
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
