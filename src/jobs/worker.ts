import { errorMessage } from '../blocks/common.js';
import { runAuditRecent } from '../features/audit/jobs.js';
import { runDigestPreview } from '../features/digest/preview.js';
import { runHomeRefresh } from '../features/home/jobs.js';
import { runInventoryRange, runInventoryRefresh, runInventorySync } from '../features/inventory/jobs.js';
import { runLookup } from '../features/lookup/job.js';
import {
  runGrant,
  runKeep,
  runListExemptions,
  runNotMine,
  runPolicyNotify,
  runPolicyPlan,
  runPolicyRun,
  runSelfRevoke,
} from '../features/policy/jobs.js';
import { runDecide, runExecute, runResume, runRevocationRequest } from '../features/revocation/jobs.js';
import { runStale } from '../features/stale/job.js';
import { userMessage } from '../http/errors.js';
import { Replier } from '../slack/replier.js';
import { withLogContext } from '../util/log-context.js';
import { JobBusyError, type JobOutcome, RetryJobError, type WorkerDeps } from './deps.js';
import { isSystemJob, type Job, type PersonJob, type SystemJob } from './job.js';

export { JobBusyError, type JobOutcome, RetryJobError, type WorkerDeps } from './deps.js';

/**
 * Runs one job and answers in Slack, exactly once per job id. A failure is answered with one plain sentence;
 * only when even that answer cannot be delivered (or the job asks to be retried) is the job released and the
 * error rethrown, so the queue delivers it again.
 */
export async function runJob(job: Job, deps: WorkerDeps): Promise<JobOutcome> {
  return withLogContext({ correlationId: job.correlationId ?? job.id, jobId: job.id, kind: job.kind }, () =>
    measured(job, deps, () => runJobInContext(job, deps)),
  );
}

/**
 * Counts the job by kind and how it ended (`Jobs`), and times the ones that did work (`JobDuration`). A job that
 * throws is `busy` (another worker holds it) or `retried` (the queue delivers it again).
 */
async function measured(job: Job, deps: WorkerDeps, run: () => Promise<JobOutcome>): Promise<JobOutcome> {
  const started = performance.now();
  let outcome: JobOutcome | 'busy' | 'retried' = 'retried';
  try {
    outcome = await run();
    return outcome;
  } catch (err) {
    if (err instanceof JobBusyError) outcome = 'busy';
    throw err;
  } finally {
    deps.metrics.count('Jobs', { kind: job.kind, outcome });
    if (outcome !== 'duplicate' && outcome !== 'busy')
      deps.metrics.duration('JobDuration', performance.now() - started, { kind: job.kind });
  }
}

async function runJobInContext(job: Job, deps: WorkerDeps): Promise<JobOutcome> {
  const claim = await deps.ledger.claim(job.id, job.kind);
  if (claim === 'done') {
    deps.logger.info('job already answered, skipping the redelivery', { jobId: job.id });
    if (!isSystemJob(job)) await releaseSlot(job, deps);
    return 'duplicate';
  }
  if (claim === 'busy') throw new JobBusyError(`job ${job.id} is being run by another worker`);
  if (isSystemJob(job)) return runSystemJob(job, deps);

  const replier = new Replier(deps.slack, job.origin, deps.logger, deps.clock);
  let outcome: 'answered' | 'failed' = 'answered';
  try {
    try {
      await perform(job, deps, replier);
    } catch (err) {
      if (err instanceof RetryJobError) throw err;
      outcome = 'failed';
      deps.logger.error('job failed', { jobId: job.id, kind: job.kind, err });
      await replier.send(errorMessage(`${describeJob(job)} failed: ${userMessage(err)}`), {
        replace: !job.kind.startsWith('revoke.'),
      });
    }
  } catch (err) {
    deps.logger.error('the job will be delivered again', { jobId: job.id, err });
    await deps.ledger
      .release(job.id)
      .catch((e: unknown) => deps.logger.error('could not release job', { jobId: job.id, err: e }));
    throw err;
  }
  await deps.ledger.complete(job.id, outcome);
  await releaseSlot(job, deps);
  return outcome;
}

/**
 * A job Keywarden queued for itself: there is nobody to answer, so a failure is logged and the job released for the
 * queue to deliver again (the sweep of stuck requests catches whatever the queue gives up on).
 */
async function runSystemJob(job: SystemJob, deps: WorkerDeps): Promise<JobOutcome> {
  try {
    if (job.kind === 'revoke.resume') await runResume(job, deps);
    else if (job.kind === 'policy.run') await runPolicyRun(job, deps);
    else if (job.kind === 'home.refresh') await runHomeRefresh(job, deps);
    else if (job.kind === 'inventory.sync') await runInventorySync(job, deps);
    else if (job.kind === 'inventory.range') await runInventoryRange(job, deps);
    else if (job.kind === 'inventory.refresh') await runInventoryRefresh(job, deps);
    else await runPolicyNotify(job, deps);
  } catch (err) {
    deps.logger.error('a job Keywarden queued for itself failed; it will be delivered again', {
      jobId: job.id,
      kind: job.kind,
      err,
    });
    await deps.ledger
      .release(job.id)
      .catch((e: unknown) => deps.logger.error('could not release job', { jobId: job.id, err: e }));
    throw err;
  }
  await deps.ledger.complete(job.id, 'answered');
  return 'answered';
}

/**
 * A job that will be delivered again keeps its slot; an answered one gives it back. Failing to give it back only
 * delays the next job until the slot expires, so it is logged, not thrown.
 */
async function releaseSlot(job: PersonJob, deps: WorkerDeps): Promise<void> {
  await deps.limits
    ?.release(job)
    .catch((err: unknown) => deps.logger.warn('could not release the work slot', { jobId: job.id, err }));
}

function describeJob(job: PersonJob): string {
  switch (job.kind) {
    case 'policy.plan':
      return 'The policy plan';
    case 'audit.recent':
      return 'The audit trail';
    case 'policy.keep':
      return 'Keeping the key';
    case 'policy.self_revoke':
      return 'Revoking your key';
    case 'policy.not_mine':
      return 'Reporting the key';
    case 'exempt.grant':
      return 'The exemption';
    case 'exempt.list':
      return 'The list of exemptions';
    case 'user.lookup':
      return 'The user lookup';
    case 'keys.stale':
      return `The stale-key scan (${job.days} days)`;
    case 'revoke.request':
      return 'The revocation request';
    case 'digest.preview':
      return 'The digest preview';
    default:
      return `Request ${job.requestId}`;
  }
}

async function perform(job: PersonJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  switch (job.kind) {
    case 'policy.plan':
      return runPolicyPlan(job, deps, replier);
    case 'audit.recent':
      return runAuditRecent(job, deps, replier);
    case 'policy.keep':
      return runKeep(job, deps, replier);
    case 'policy.self_revoke':
      return runSelfRevoke(job, deps, replier);
    case 'policy.not_mine':
      return runNotMine(job, deps, replier);
    case 'exempt.grant':
      return runGrant(job, deps, replier);
    case 'exempt.list':
      return runListExemptions(job, deps, replier);
    case 'keys.stale':
      return runStale(job, deps, replier);
    case 'user.lookup':
      return runLookup(job, deps, replier);
    case 'digest.preview':
      return runDigestPreview(job, deps, replier);
    case 'revoke.request':
      return runRevocationRequest(job, deps, replier);
    case 'revoke.decide':
      return runDecide(job, deps, replier);
    case 'revoke.execute':
      return runExecute(job, deps, replier);
  }
}
