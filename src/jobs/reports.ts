import { noticeMessage } from '../blocks/common.js';
import { keysCsv } from '../blocks/csv.js';
import { renderDigest } from '../blocks/digest.js';
import { context, type Message, section } from '../blocks/kit.js';
import { renderLookup } from '../blocks/lookup.js';
import { field } from '../blocks/mrkdwn.js';
import { requestAllButton, requestKeyButton } from '../blocks/revoke-buttons.js';
import { PAGE_SIZE, renderStaleReport, staleRows } from '../blocks/stale.js';
import type { Progress, Provider, VendorId } from '../domain/provider.js';
import { ConfigError, userMessage } from '../http/errors.js';
import { buildDigest } from '../services/digest.js';
import { lookupUser } from '../services/lookup.js';
import { type StaleReport, scanStaleKeys } from '../services/stale.js';
import type { Replier } from '../slack/replier.js';
import type { WorkerDeps } from './deps.js';
import type { Job } from './job.js';

type StaleJob = Job & { kind: 'keys.stale' };
type LookupJob = Job & { kind: 'user.lookup' };
type DigestJob = Job & { kind: 'digest.preview' };

async function configuredProviders(deps: WorkerDeps): Promise<Provider[]> {
  const providers = await deps.providers();
  if (providers.length === 0)
    throw new ConfigError('no vendor is configured (the secret holds no vendor credentials)');
  return providers;
}

/** Progress messages for long scans: the first after `progressAfterMs`, then at most every 5 s. */
function progressFeed(replier: Replier, deps: WorkerDeps, title: string) {
  const now = () => deps.clock.now().getTime();
  const started = now();
  const after = deps.progressAfterMs ?? 3000;
  let last = 0;
  let inFlight: Promise<void> | undefined;
  const latest = new Map<VendorId, Progress>();
  return {
    onProgress(vendor: VendorId, p: Progress) {
      latest.set(vendor, p);
      const at = now();
      if (at - started < after || at - last < 5000 || inFlight) return;
      last = at;
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

export async function runLookup(job: LookupJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  const providers = await configuredProviders(deps);
  const feed = progressFeed(replier, deps, `Looking up ${field(job.query, 100)}…`);
  const report = await lookupUser(providers, job.query, {
    logger: deps.logger,
    onProgress: feed.onProgress,
    deadlineMs: deps.operationDeadlineMs,
  });
  await feed.settle();
  await replier.send(
    renderLookup(report, deps.clock.now(), {
      rowAccessory: deps.revocation ? (k) => requestKeyButton(k) : undefined,
    }),
  );
}

export async function runStale(job: StaleJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  const providers = await configuredProviders(deps);
  const feed = progressFeed(replier, deps, `Scanning for keys unused in ${job.days}+ days…`);
  const report = await scanStaleKeys(providers, {
    days: job.days,
    type: job.type,
    vendor: job.vendor,
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
      csvNote = `The CSV could not be sent (${field(userMessage(err), 300)}).`;
    }
  }
  await replier.send(
    renderStaleReport(report, {
      offset: job.offset,
      csvNote,
      rowAccessory: deps.revocation ? (k) => requestKeyButton(k, report.days) : undefined,
      extraControls: deps.revocation && rows.length > 0 ? [requestAllButton(report, rows.length)] : [],
    }),
    { replace: job.reply !== 'new' },
  );
}

/** `/keys digest`: the digest as it would be posted, privately. */
export async function runDigestPreview(_job: DigestJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  const providers = await configuredProviders(deps);
  const report = await buildDigest(providers, {
    clock: deps.clock,
    timeZone: deps.digest?.timeZone ?? 'UTC',
    staleDays: deps.digest?.staleDays ?? 90,
    logger: deps.logger,
  });
  await replier.send(renderDigest(report, { preview: true }));
}

/** The CSV goes to the admin's DM, not the channel: a list of weak credentials is not for every channel member. */
async function sendCsv(report: StaleReport, job: StaleJob, deps: WorkerDeps): Promise<string> {
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
