import { type Clock, systemClock } from '../domain/clock.js';
import { type Job, type JobInput, type JobQueue, jobSchema } from '../jobs/job.js';
import type { Logger } from '../log.js';
import type { LocalQueueStore, QueuedJob } from '../store/local-queue.js';

export type JobRunner = (job: Job) => Promise<unknown>;

export interface InlineQueueOptions {
  /** Where the jobs are kept between enqueue and completion (the local DynamoDB table). */
  store: LocalQueueStore;
  logger: Logger;
  /** Deliveries before a job is dead-lettered, like SQS's maxReceiveCount (infra/resources.yml). @default 3 */
  maxAttempts?: number;
  /** Wait before a redelivery. @default 1000 */
  retryDelayMs?: number;
  /**
   * Jobs run at once. Kept small because the jobs share this process with the Slack endpoint: acknowledgements
   * must not wait behind fifty scans (on Lambda the worker is another function, with reserved concurrency).
   * @default 4
   */
  concurrency?: number;
  /**
   * Called at start-up for each job found stored, before it is delivered again. Only one process can open the
   * data directory (LevelDB locks it), so whatever the job's previous process held (a claim in the job ledger)
   * is stale: its process died.
   */
  recover?: (jobId: string) => Promise<void>;
  /** Scrubs secrets from an error before it is stored with a dead or retried job. @default identity */
  redact?: (text: string) => string;
  /** @default Date.now */
  /** Time, for TTLs and leases. @default the system clock */
  clock?: Clock;
}

/**
 * The local stand-in for SQS: the same hand-off, run in this process after the acknowledgement has gone out, and
 * durable like SQS: each job is stored in the local table before `enqueue` resolves, removed when it has run, and
 * every job still stored when the process starts (queued, waiting for a retry, or running when the process died)
 * is delivered again. Delivery is at least once; the job ledger makes a second delivery of an answered job
 * harmless. Jobs go through JSON and the job schema exactly as a queue message would. A job that fails
 * `maxAttempts` times is kept as `dead` (the local dead-letter queue) and logged as an error.
 *
 * Jobs are delivered only once `start` has been given the runner, so the queue can be built before the worker
 * that consumes it (and handed to that worker, to queue follow-up jobs).
 */
export class InlineQueue implements JobQueue {
  /** Jobs this process will deliver or is delivering: waiting, delayed or running. */
  private readonly known = new Set<string>();
  private readonly ready: string[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly deliveries = new Set<Promise<void>>();
  private idleWaiters: Array<() => void> = [];
  private run: JobRunner | undefined;
  private stopped = false;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly concurrency: number;
  private readonly now: () => number;

  constructor(private readonly options: InlineQueueOptions) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.concurrency = options.concurrency ?? 4;
    const clock = options.clock ?? systemClock;
    this.now = () => clock.now().getTime();
  }

  /** Resolves once the job is stored: the caller may then tell the user it is queued. Rejects if it is not. */
  async enqueue(job: JobInput): Promise<void> {
    const added = await this.options.store.add({
      jobId: job.id,
      kind: job.kind,
      message: JSON.stringify(job),
      now: this.now(),
    });
    if (added === 'exists') {
      this.options.logger.info('job is already in the queue; not queued twice', { jobId: job.id });
      return;
    }
    this.schedule(job.id, 0);
  }

  /**
   * Starts delivering: first every job left stored by an earlier run (oldest first), then whatever is enqueued.
   * Returns how many stored jobs will be delivered again, and how many are kept as dead.
   */
  async start(run: JobRunner): Promise<{ redelivered: number; dead: number }> {
    const { logger, store } = this.options;
    const stored = await store.list();
    let redelivered = 0;
    for (const job of stored) {
      if (job.state === 'dead' || this.known.has(job.jobId)) continue;
      await this.options.recover?.(job.jobId);
      if (job.state === 'running') {
        logger.warn('job was running when Keywarden stopped; delivering it again', {
          jobId: job.jobId,
          kind: job.kind,
          attempts: job.attempts,
        });
      }
      this.schedule(job.jobId, job.availableAt - this.now());
      redelivered++;
    }
    if (redelivered > 0) logger.info('picked up jobs stored by an earlier run', { jobs: redelivered });
    const dead = stored.filter((j) => j.state === 'dead').length;
    if (dead > 0) logger.warn('dead-lettered jobs are kept in the local queue', { jobs: dead });
    this.run = run;
    this.pump();
    return { redelivered, dead };
  }

  /** Resolves when no job is waiting, delayed or running (tests). */
  idle(): Promise<void> {
    if (this.known.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops delivering and waits for the jobs already running. Jobs still waiting stay stored and are delivered by
   * the next start, so Ctrl-C does not wait for a backlog.
   */
  async close(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    while (this.deliveries.size > 0) await Promise.allSettled([...this.deliveries]);
    this.ready.length = 0;
    this.known.clear();
    this.settleIdle();
  }

  /** The jobs that failed on every attempt, as `keywarden jobs dlq` would list them. */
  deadLetters(): Promise<QueuedJob[]> {
    return this.options.store.list('dead');
  }

  /**
   * Makes the job ready after `delayMs`. Always yields first, even with no delay, so the request that enqueued it
   * is answered before the job starts.
   */
  private schedule(jobId: string, delayMs: number): void {
    if (this.stopped) return;
    this.known.add(jobId);
    const ready = () => {
      this.timers.delete(jobId);
      this.ready.push(jobId);
      this.pump();
    };
    if (delayMs <= 0) setImmediate(ready);
    else this.timers.set(jobId, setTimeout(ready, delayMs));
  }

  private pump(): void {
    const run = this.run;
    while (run && !this.stopped && this.deliveries.size < this.concurrency) {
      const jobId = this.ready.shift();
      if (jobId === undefined) break;
      const delivery = this.deliver(jobId, run).finally(() => {
        this.deliveries.delete(delivery);
        this.pump();
      });
      this.deliveries.add(delivery);
    }
  }

  private async deliver(jobId: string, run: JobRunner): Promise<void> {
    const { logger, store } = this.options;
    let next: 'done' | 'retry' = 'done';
    try {
      const stored = await store.beginDelivery(jobId);
      if (stored) next = await this.runStored(stored, run);
    } catch (err) {
      // The store itself failed: keep the job in memory and try again; it is still stored for the next start.
      logger.error('the local queue could not update a job; trying again', { jobId, err });
      next = 'retry';
    }
    if (next === 'retry' && !this.stopped) {
      this.schedule(jobId, this.retryDelayMs);
      return;
    }
    this.known.delete(jobId);
    this.settleIdle();
  }

  private settleIdle(): void {
    if (this.known.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private async runStored(stored: QueuedJob, run: JobRunner): Promise<'done' | 'retry'> {
    const { logger, store } = this.options;
    // A delivery its process died in counts, as an SQS receive does: a job that kills the process every time ends
    // in the dead-letter list instead of crashing every start.
    if (stored.attempts > this.maxAttempts) {
      await this.bury(stored, 'delivered on every attempt without finishing (its process stopped each time)');
      return 'done';
    }
    let job: Job;
    try {
      job = jobSchema.parse(JSON.parse(stored.message));
    } catch (err) {
      // Delivering a message that does not parse again cannot make it parse.
      await this.bury(stored, `not a valid job: ${this.describe(err)}`, err);
      return 'done';
    }
    try {
      await run(job);
    } catch (err) {
      if (stored.attempts >= this.maxAttempts) {
        await this.bury(stored, this.describe(err), err);
        return 'done';
      }
      logger.warn('job will be delivered again', { jobId: stored.jobId, attempt: stored.attempts, err });
      await store.retryLater(stored.jobId, this.now() + this.retryDelayMs, this.describe(err));
      return 'retry';
    }
    await store.remove(stored.jobId);
    return 'done';
  }

  private async bury(stored: QueuedJob, reason: string, err?: unknown): Promise<void> {
    await this.options.store.deadLetter(stored.jobId, this.now(), reason);
    this.options.logger.error(
      'job failed on every attempt; kept in the local dead-letter list (state dead in the local queue)',
      { jobId: stored.jobId, kind: stored.kind, attempts: stored.attempts, reason, err },
    );
  }

  private describe(err: unknown): string {
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return (this.options.redact ?? ((t: string) => t))(text).slice(0, 500);
  }
}
