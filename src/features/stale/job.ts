import { noticeMessage } from '../../blocks/common.js';
import { field } from '../../blocks/mrkdwn.js';
import { userMessage } from '../../http/errors.js';
import type { WorkerDeps } from '../../jobs/deps.js';
import { liveExemptions } from '../../jobs/exemptions.js';
import type { Job } from '../../jobs/job.js';
import { configuredProviders, progressFeed } from '../../jobs/progress.js';
import { type StaleReport, scanStaleKeys } from '../../services/stale.js';
import type { Replier } from '../../slack/replier.js';
import { exemptButton } from '../policy/blocks.js';
import { requestAllButton, requestKeyButton } from '../revocation/request-blocks.js';
import { PAGE_SIZE, renderStaleReport, staleRows } from './blocks.js';
import { keysCsv } from './csv.js';

type StaleJob = Job & { kind: 'keys.stale' };

/** `/keys stale`: a page of the report (with the CSV by DM when it is long), another page, or the CSV alone. */
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
    live: job.live,
  });
  await feed.settle();
  await recordPosture(report, deps);
  const rows = staleRows(report);
  const exemptUntil = await liveExemptions(deps);
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
      exemptUntil,
      extraControls: deps.revocation && rows.length > 0 ? [requestAllButton(report, rows.length)] : [],
      pageControls: deps.policy ? (page) => exemptButton(page) : undefined,
      timeZone: deps.digest?.timeZone,
    }),
    { replace: job.reply !== 'new' },
  );
}

/**
 * Keeps each vendor's counts from a whole scan (every type) for the App Home's posture and its trend, so opening
 * the Home never starts a scan. A failure here only costs the Home a data point.
 */
async function recordPosture(report: StaleReport, deps: WorkerDeps): Promise<void> {
  if (!deps.home || report.type) return;
  const snapshots = report.sections
    .filter((s) => !s.failure)
    .map((s) => {
      // Counts read from the inventory are as recent as its last refresh, not as the scan.
      const at = s.read?.from === 'inventory' && s.read.asOf ? s.read.asOf : report.generatedAt;
      return {
        vendor: s.vendor,
        label: s.label,
        date: at.slice(0, 10),
        days: report.days,
        stale: s.stale.length,
        neverUsed: s.neverUsed.length,
        at,
        ...(s.read?.from === 'inventory' ? { fromInventory: true } : {}),
      };
    });
  await deps.home.store
    .recordPosture(snapshots)
    .catch((err: unknown) => deps.logger.warn('could not record the posture for the Home', { err }));
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
