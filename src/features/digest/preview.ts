import type { WorkerDeps } from '../../jobs/deps.js';
import type { Job } from '../../jobs/job.js';
import { configuredProviders } from '../../jobs/progress.js';
import { buildDigest } from '../../services/digest.js';
import type { Replier } from '../../slack/replier.js';
import { renderDigest } from './blocks.js';
import { expiringSoon } from './scheduled.js';

type DigestJob = Job & { kind: 'digest.preview' };

/** `/keys digest`: the digest as it would be posted, privately. */
export async function runDigestPreview(_job: DigestJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  const providers = await configuredProviders(deps);
  const report = await buildDigest(providers, {
    clock: deps.clock,
    timeZone: deps.digest?.timeZone ?? 'UTC',
    staleDays: deps.digest?.staleDays ?? 90,
    logger: deps.logger,
  });
  const exemptions = deps.policy?.store;
  const expiring = await expiringSoon(
    exemptions ? () => exemptions.exemptions() : undefined,
    deps.clock.now(),
    deps.logger,
  );
  await replier.send(renderDigest(report, { preview: true, expiring }));
}
