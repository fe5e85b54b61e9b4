import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { conditionFailed } from './table.js';

/**
 * `queued`: waiting for `availableAt`; `running`: handed to the worker (after a crash, its process died);
 * `dead`: failed on every attempt and kept for someone to read, like a message in SQS's dead-letter queue.
 */
export type QueuedJobState = 'queued' | 'running' | 'dead';

export interface QueuedJob {
  jobId: string;
  kind: string;
  /** The job as its producer wrote it, JSON, parsed with the job schema on each delivery like an SQS body. */
  message: string;
  state: QueuedJobState;
  /** Deliveries begun so far, like SQS's ApproximateReceiveCount: a delivery its process died in counts. */
  attempts: number;
  /** Epoch ms before which the job is not delivered (the retry delay). */
  availableAt: number;
  enqueuedAt: string;
  /** The last failure, one line, for `keywarden jobs dlq`. */
  lastError?: string;
  deadAt?: string;
}

/**
 * The local work queue's jobs, in the local DynamoDB table, so a job the Slack endpoint has acknowledged as
 * queued survives a crash or Ctrl-C. Local runs only: on AWS the queue is SQS.
 *
 * | item        | pk   | sk        |
 * |-------------|------|-----------|
 * | a queued job | `LQ` | `<job id>` |
 *
 * One partition, so start-up and a dead-letter listing read the queue with one Query instead of scanning a table
 * that also holds every request; dynalite has no per-partition throughput to spread. The sort key is the job id, so
 * enqueueing a job that is already stored (Slack delivered the same command twice) stores it once. No `expiresAt`:
 * dynalite does not expire items, and a dead job is kept until someone has read it.
 */
export class LocalQueueStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  private key(jobId: string) {
    return { pk: 'LQ', sk: jobId };
  }

  /** Stores a new job; `exists` when a job with this id is already stored (queued, running or dead). */
  async add(job: { jobId: string; kind: string; message: string; now: number }): Promise<'added' | 'exists'> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...this.key(job.jobId),
            kind: job.kind,
            message: job.message,
            state: 'queued',
            attempts: 0,
            availableAt: job.now,
            enqueuedAt: new Date(job.now).toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'added';
    } catch (err) {
      if (conditionFailed(err)) return 'exists';
      throw err;
    }
  }

  /** Marks a job running and counts the delivery; undefined when it is no longer stored or is dead. */
  async beginDelivery(jobId: string): Promise<QueuedJob | undefined> {
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(jobId),
          UpdateExpression: 'SET #state = :running, attempts = if_not_exists(attempts, :zero) + :one',
          ConditionExpression: 'attribute_exists(pk) AND #state <> :dead',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':running': 'running', ':dead': 'dead', ':zero': 0, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? fromItem(out.Attributes) : undefined;
    } catch (err) {
      if (conditionFailed(err)) return undefined;
      throw err;
    }
  }

  async retryLater(jobId: string, availableAt: number, lastError: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(jobId),
        UpdateExpression: 'SET #state = :queued, availableAt = :at, lastError = :error',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':queued': 'queued', ':at': availableAt, ':error': lastError },
      }),
    );
  }

  async deadLetter(jobId: string, now: number, lastError: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(jobId),
        UpdateExpression: 'SET #state = :dead, deadAt = :at, lastError = :error',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':dead': 'dead',
          ':at': new Date(now).toISOString(),
          ':error': lastError,
        },
      }),
    );
  }

  /** The job is finished: it leaves the queue (the job ledger remembers that it was answered). */
  async remove(jobId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: this.key(jobId) }));
  }

  /** Every stored job, oldest first; only those in `state` when given (`dead` is the dead-letter list). */
  async list(state?: QueuedJobState): Promise<QueuedJob[]> {
    const jobs: QueuedJob[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'LQ' },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) jobs.push(fromItem(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return jobs
      .filter((j) => state === undefined || j.state === state)
      .sort((a, b) => a.enqueuedAt.localeCompare(b.enqueuedAt));
  }
}

function fromItem(item: Record<string, unknown>): QueuedJob {
  return {
    jobId: String(item.sk),
    kind: String(item.kind),
    message: String(item.message),
    state: item.state as QueuedJobState,
    attempts: Number(item.attempts ?? 0),
    availableAt: Number(item.availableAt ?? 0),
    enqueuedAt: String(item.enqueuedAt),
    ...(typeof item.lastError === 'string' ? { lastError: item.lastError } : {}),
    ...(typeof item.deadAt === 'string' ? { deadAt: item.deadAt } : {}),
  };
}
