import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { auditArchiveRuntime } from '../src/runtime/audit-archive.js';
import { invocation } from '../src/runtime/invocation.js';
import { archiveAudit } from '../src/services/audit.js';

const deps = auditArchiveRuntime(process.env);

/**
 * Woken by the table's stream when audit events are appended: copies every event the archive does not hold yet to
 * S3, then lets them expire from the table. The stream's records only say that there is something to do; what to
 * archive is read from the table, so a batch that failed for good is archived by the next one.
 */
export const handler = async (event: DynamoDBStreamEvent, context?: Context): Promise<{ archived: number }> =>
  invocation(context, async () => {
    const archived = await archiveAudit(deps);
    deps.logger.info('audit events archived', { archived, records: event.Records.length });
    return { archived };
  });
