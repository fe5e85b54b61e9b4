import { errorMessage, noticeMessage } from '../blocks/common.js';
import { keysCsv } from '../blocks/csv.js';
import { context, type Message, section } from '../blocks/kit.js';
import { renderLookup } from '../blocks/lookup.js';
import { PAGE_SIZE, renderStaleReport, staleRows } from '../blocks/stale.js';
import { ConfigError, userMessage } from '../http/errors.js';
import type { Logger } from '../log.js';
import type { Progress, Provider, VendorId } from '../providers/types.js';
import { lookupUser } from '../services/lookup.js';
import { type StaleReport, scanStaleKeys } from '../services/stale.js';
import type { SlackApi } from '../slack/api.js';
import { Replier } from '../slack/replier.js';
import type { JobLedger } from '../store/jobs.js';
import type { Clock } from '../util/clock.js';
import type { Job } from './job.js';

export interface WorkerDeps {
  /** The configured vendors; on Lambda built from the secret on first use. */
  providers: () => Promise<Provider[]>;
  slack: SlackApi;
  ledger: JobLedger;
  clock: Clock;
  logger: Logger;
  /** A scan still running after this long gets a progress message. @default 3000 */
  progressAfterMs?: number;
  /** Budget for one scan or lookup. @default 60_000 */
  operationDeadlineMs?: number;
}

/** Thrown when another worker holds the job right now; the queue should deliver it again later. */
export class JobBusyError extends Error {
  override name = 'JobBusyError';
}

export type JobOutcome = 'answered' | 'failed' | 'duplicate';

/**
 * Runs one job and answers the admin in Slack, exactly once per job id. A failure is answered with one plain
 * sentence; only when even that answer cannot be delivered is the job released and the error rethrown, so the
 * queue retries it (and after its retries, keeps it in the dead-letter queue).
 */
export async function runJob(job: Job, deps: WorkerDeps): Promise<JobOutcome> {
  const claim = await deps.ledger.claim(job.id, job.kind);
  if (claim === 'done') {
    deps.logger.info('job already answered, skipping the redelivery', { jobId: job.id });
    return 'duplicate';
  }
  if (claim === 'busy') throw new JobBusyError(`job ${job.id} is being run by another worker`);

  const replier = new Replier(deps.slack, job.origin, deps.logger, () => deps.clock.now().getTime());
  let outcome: 'answered' | 'failed' = 'answered';
  try {
    try {
      await perform(job, deps, replier);
    } catch (err) {
      outcome = 'failed';
      deps.logger.error('job failed', { jobId: job.id, kind: job.kind, err });
      await replier.send(errorMessage(`${describeJob(job)} failed: ${userMessage(err)}`));
    }
  } catch (err) {
    deps.logger.error('could not answer the job; it will be retried', { jobId: job.id, err });
    await deps.ledger
      .release(job.id)
      .catch((e: unknown) => deps.logger.error('could not release job', { jobId: job.id, err: e }));
    throw err;
  }
  await deps.ledger.complete(job.id, outcome);
  return outcome;
}

function describeJob(job: Job): string {
  return job.kind === 'user.lookup' ? 'The user lookup' : `The stale-key scan (${job.days} days)`;
}

/** Progress messages for long scans: the first after `progressAfterMs`, then at most every 5 s. */
function progressFeed(replier: Replier, deps: WorkerDeps, title: string) {
  const started = Date.now();
  const after = deps.progressAfterMs ?? 3000;
  let last = 0;
  let inFlight: Promise<void> | undefined;
  const latest = new Map<VendorId, Progress>();
  return {
    onProgress(vendor: VendorId, p: Progress) {
      latest.set(vendor, p);
      const now = Date.now();
      if (now - started < after || now - last < 5000 || inFlight) return;
      last = now;
      const lines = [...latest.entries()].map(
        ([v, q]) =>
          `${v}: ${q.phase} ${q.done.toLocaleString('en-US')}${q.total === undefined ? '' : ` of ${q.total.toLocaleString('en-US')}`}`,
      );
      const msg: Message = {
        text: title,
        blocks: [section(`:hourglass_flowing_reduced: ${title}`), context(lines.join(' · '))],
      };
      inFlight = replier.progress(msg).finally(() => {
        inFlight = undefined;
      });
    },
    /** Lets a progress post finish before the result replaces it (otherwise it could land after the result). */
    settle: () => inFlight ?? Promise.resolve(),
  };
}

async function perform(job: Job, deps: WorkerDeps, replier: Replier): Promise<void> {
  const providers = await deps.providers();
  if (providers.length === 0)
    throw new ConfigError('no vendor is configured (the secret holds no vendor credentials)');
  if (job.kind === 'user.lookup') {
    const feed = progressFeed(replier, deps, `Looking up ${job.query}…`);
    const report = await lookupUser(providers, job.query, {
      logger: deps.logger,
      onProgress: feed.onProgress,
      deadlineMs: deps.operationDeadlineMs,
    });
    await feed.settle();
    await replier.send(renderLookup(report, deps.clock.now()));
    return;
  }

  const feed = progressFeed(replier, deps, `Scanning for keys unused in ${job.days}+ days…`);
  const report = await scanStaleKeys(providers, {
    days: job.days,
    type: job.type,
    clock: deps.clock,
    logger: deps.logger,
    onProgress: feed.onProgress,
    deadlineMs: deps.operationDeadlineMs,
  });
  await feed.settle();
  const rows = staleRows(report);
  if (job.mode === 'csv') {
    const where = await sendCsv(report, job, deps);
    await replier.send(
      noticeMessage(
        `:page_facing_up: The full list (${rows.length.toLocaleString('en-US')} keys) was sent to you ${where}.`,
      ),
      {
        replace: false,
      },
    );
    return;
  }
  let csvNote: string | undefined;
  if (job.mode === 'report' && rows.length > PAGE_SIZE) {
    try {
      csvNote = `The full list went to you ${await sendCsv(report, job, deps)} as a CSV.`;
    } catch (err) {
      deps.logger.warn('could not send the CSV', { err });
      csvNote = `The CSV could not be sent (${userMessage(err)}).`;
    }
  }
  await replier.send(renderStaleReport(report, { offset: job.offset, csvNote }));
}

/** The CSV goes to the admin's DM, not the channel: a list of weak credentials is not for every channel member. */
async function sendCsv(
  report: StaleReport,
  job: Job & { kind: 'keys.stale' },
  deps: WorkerDeps,
): Promise<string> {
  const rows = staleRows(report);
  const dm = await deps.slack.openDm(job.origin.user);
  const date = report.generatedAt.slice(0, 10);
  await deps.slack.uploadFile({
    channel: dm,
    filename: `stale-keys-${job.days}d${job.type ? `-${job.type}` : ''}-${date}.csv`,
    title: `Keys unused for ${job.days}+ days (${date})`,
    content: keysCsv(rows, new Date(report.generatedAt)),
    comment: `${rows.length.toLocaleString('en-US')} keys unused for ${job.days}+ days${job.type ? ` (${job.type} only)` : ''}.`,
  });
  return 'in a direct message';
}
