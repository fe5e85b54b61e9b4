import { DAY_MS } from '../../domain/clock.js';
import type { WorkerDeps } from '../../jobs/deps.js';
import type { Job } from '../../jobs/job.js';
import type { Replier } from '../../slack/replier.js';
import { AUDIT_PAGE, auditMessage } from './blocks.js';

type RecentJob = Job & { kind: 'audit.recent' };

/** `/keys audit [days]`: a page of the trail's events within the last `days`, newest first, privately. */
export async function runAuditRecent(job: RecentJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  if (!deps.audit) throw new Error('the audit trail is not wired into this worker');
  const since = new Date(deps.clock.now().getTime() - job.days * DAY_MS).toISOString();
  const page = await deps.audit.recent(AUDIT_PAGE + 1, job.before);
  const within = page.filter((e) => e.at >= since);
  const shown = within.slice(0, AUDIT_PAGE);
  await replier.send(auditMessage(shown, job.days, within.length > AUDIT_PAGE), {
    replace: job.before === undefined,
  });
}
