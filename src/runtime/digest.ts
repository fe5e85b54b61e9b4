import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { systemClock } from '../domain/clock.js';
import type { ScheduledDigestDeps } from '../jobs/digest.js';
import { JobLedger } from '../store/jobs.js';
import { documentClient } from '../store/table.js';
import { lambdaBase, slackFor } from './base.js';
import { cachedProviders } from './worker.js';

/** The scheduled digest on Lambda. */
export function digestRuntime(env: NodeJS.ProcessEnv): ScheduledDigestDeps {
  const base = lambdaBase(env);
  const s = base.settings;
  return {
    providers: cachedProviders(base),
    slack: slackFor(base),
    ledger: new JobLedger(documentClient(new DynamoDBClient({})), { table: s.table }),
    clock: systemClock,
    logger: base.logger,
    channel: s.digestChannel,
    timeZone: s.timeZone,
    staleDays: s.staleDays,
  };
}
