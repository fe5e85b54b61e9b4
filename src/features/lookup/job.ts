import { field } from '../../blocks/mrkdwn.js';
import type { WorkerDeps } from '../../jobs/deps.js';
import type { Job } from '../../jobs/job.js';
import { configuredProviders, progressFeed } from '../../jobs/progress.js';
import { lookupUser } from '../../services/lookup.js';
import type { Replier } from '../../slack/replier.js';
import { requestKeyButton } from '../revocation/request-blocks.js';
import { renderLookup } from './blocks.js';

type LookupJob = Job & { kind: 'user.lookup' };

/** `/user lookup`: one person across every vendor, with a Request revocation button per key when it is wired. */
export async function runLookup(job: LookupJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  const providers = await configuredProviders(deps);
  const feed = progressFeed(replier, deps, `Looking up ${field(job.query, 100)}…`);
  const report = await lookupUser(providers, job.query, {
    logger: deps.logger,
    onProgress: feed.onProgress,
    deadlineMs: deps.operationDeadlineMs,
    live: job.live,
  });
  await feed.settle();
  await replier.send(
    renderLookup(report, deps.clock.now(), {
      rowAccessory: deps.revocation ? (k) => requestKeyButton(k) : undefined,
      timeZone: deps.digest?.timeZone,
    }),
  );
}
