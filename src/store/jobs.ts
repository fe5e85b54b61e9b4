import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, systemClock } from '../domain/clock.js';
import { conditionFailed, epochSeconds } from './table.js';

export type ClaimResult = 'claimed' | 'done' | 'busy';

export interface JobLedgerOptions {
  table: string;
  /** How long a claim holds before another delivery may take the job over. @default 180_000 */
  leaseMs?: number;
  /** How long the ledger remembers a job. @default 7 days */
  retainMs?: number;
  /** Time, for TTLs and leases. @default the system clock */
  clock?: Clock;
}

/**
 * SQS delivers at least once, so every job is claimed here before it runs: a conditional put that only succeeds
 * for a new job or one whose previous claim lapsed (its worker died). A job already answered is skipped; a job
 * another worker is running right now is reported busy (the message goes back to the queue and comes again).
 */
export class JobLedger {
  private readonly leaseMs: number;
  private readonly retainMs: number;
  private readonly now: () => number;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly options: JobLedgerOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 180_000;
    this.retainMs = options.retainMs ?? 7 * 86_400_000;
    const clock = options.clock ?? systemClock;
    this.now = () => clock.now().getTime();
  }

  private key(jobId: string) {
    return { pk: `JOB#${jobId}`, sk: 'JOB' };
  }

  async claim(jobId: string, kind: string): Promise<ClaimResult> {
    const now = this.now();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.options.table,
          Item: {
            ...this.key(jobId),
            kind,
            state: 'running',
            leaseUntil: now + this.leaseMs,
            claimedAt: new Date(now).toISOString(),
            expiresAt: epochSeconds(now + this.retainMs),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :running AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':running': 'running', ':now': now },
        }),
      );
      return 'claimed';
    } catch (err) {
      if (!conditionFailed(err)) throw err;
    }
    const existing = await this.db.send(
      new GetCommand({ TableName: this.options.table, Key: this.key(jobId), ConsistentRead: true }),
    );
    return existing.Item?.state === 'done' ? 'done' : 'busy';
  }

  async complete(jobId: string, outcome: 'answered' | 'failed'): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.options.table,
        Key: this.key(jobId),
        UpdateExpression: 'SET #state = :done, outcome = :outcome, completedAt = :at',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':done': 'done',
          ':outcome': outcome,
          ':at': new Date(this.now()).toISOString(),
        },
      }),
    );
  }

  /** Gives a claim back at once (the job could not be answered; let the next delivery try). */
  async release(jobId: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.options.table,
        Key: this.key(jobId),
        UpdateExpression: 'SET leaseUntil = :zero',
        ConditionExpression: '#state = :running',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':zero': 0, ':running': 'running' },
      }),
    );
  }
}
