import type { Clock } from '../../domain/clock.js';
import type { Metrics } from '../../domain/metrics.js';
import type { Exemption } from '../../domain/policy.js';
import type { Provider } from '../../domain/provider.js';
import type { Logger } from '../../log.js';
import { buildDigest, type DigestReport, digestIsEmpty } from '../../services/digest.js';
import type { SlackApi } from '../../slack/api.js';
import type { JobLedger } from '../../store/jobs.js';
import { lastFullDays } from '../../util/zoned.js';
import { renderDigest } from './blocks.js';

export interface ScheduledDigestDeps {
  providers: () => Promise<Provider[]>;
  slack: SlackApi;
  ledger: JobLedger;
  clock: Clock;
  logger: Logger;
  /** Each run, by outcome (`DigestRuns`), and the vendor calls it makes. */
  metrics: Metrics;
  channel?: string;
  timeZone: string;
  staleDays: number;
  /** Exemptions, so the digest can list those ending in the coming week. */
  exemptions?: () => Promise<Exemption[]>;
}

/** Exemptions that end within the 7 days after `now`, soonest first. */
export async function expiringSoon(
  exemptions: (() => Promise<Exemption[]>) | undefined,
  now: Date,
  logger: Logger,
): Promise<Exemption[] | undefined> {
  if (!exemptions) return undefined;
  try {
    const from = now.toISOString();
    const to = new Date(now.getTime() + 7 * 86_400_000).toISOString();
    return (await exemptions())
      .filter((e) => e.until > from && e.until <= to)
      .sort((a, b) => a.until.localeCompare(b.until));
  } catch (err) {
    logger.warn('could not read the exemptions for the digest', { err });
    return undefined;
  }
}

export class DigestFailedError extends Error {
  override name = 'DigestFailedError';
}

export type DigestRun =
  | { status: 'posted'; report: DigestReport; channel: string; ts: string }
  | { status: 'duplicate' };

/**
 * The scheduled weekly digest. Claimed in the job ledger under its week, so a schedule delivered twice (EventBridge
 * retries, a manual re-run) posts once. A section that fails is shown as unavailable; the run itself fails, loudly,
 * only when nothing could be posted.
 */
export async function runScheduledDigest(deps: ScheduledDigestDeps): Promise<DigestRun> {
  try {
    const run = await postDigest(deps);
    deps.metrics.count('DigestRuns', { outcome: run.status });
    return run;
  } catch (err) {
    deps.metrics.count('DigestRuns', { outcome: 'failed' });
    throw err;
  }
}

async function postDigest(deps: ScheduledDigestDeps): Promise<DigestRun> {
  if (!deps.channel)
    throw new DigestFailedError('KEYWARDEN_DIGEST_CHANNEL is not set, so the digest has nowhere to go');
  const week = lastFullDays(deps.clock.now().getTime(), deps.timeZone);
  const id = `digest:${deps.timeZone}:${week.days[0]?.date}`;
  const claim = await deps.ledger.claim(id, 'digest');
  if (claim === 'done') {
    deps.logger.info('digest for this week already posted', { id });
    return { status: 'duplicate' };
  }
  if (claim === 'busy') throw new DigestFailedError(`the digest ${id} is being posted by another run`);
  try {
    const report = await buildDigest(await deps.providers(), {
      clock: deps.clock,
      timeZone: deps.timeZone,
      staleDays: deps.staleDays,
      logger: deps.logger,
    });
    if (digestIsEmpty(report))
      deps.logger.error('every part of the digest is unavailable; posting it anyway so admins see why', {
        id,
      });
    const expiring = await expiringSoon(deps.exemptions, deps.clock.now(), deps.logger);
    const posted = await deps.slack.postMessage(deps.channel, renderDigest(report, { expiring }));
    await deps.ledger.complete(id, 'answered');
    deps.logger.info('digest posted', { id, channel: posted.channel, ts: posted.ts });
    return { status: 'posted', report, channel: posted.channel, ts: posted.ts };
  } catch (err) {
    deps.logger.error('the digest could not be posted', { id, err });
    await deps.ledger.release(id).catch(() => undefined);
    throw new DigestFailedError(`the digest ${id} could not be posted`, { cause: err });
  }
}
