import type { AuditEventInput, AuditStore } from '../domain/audit.js';
import { appendAudit } from '../services/audit.js';
import type { WorkerDeps } from './deps.js';

/**
 * Records a decision or an outcome in the audit trail. The trail records what the request state machine (and the
 * policy cycles) decided; it never drives them, so a failed append is logged loudly and the work goes on.
 */
export async function audit(deps: WorkerDeps, input: AuditEventInput): Promise<void> {
  const store: AuditStore | undefined = deps.audit;
  if (!store) return;
  try {
    await appendAudit(store, deps.clock, input);
  } catch (err) {
    deps.logger.error('could not record an audit event', { type: input.type, err });
  }
}
