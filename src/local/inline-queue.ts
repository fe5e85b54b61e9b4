import { type Job, type JobInput, type JobQueue, jobSchema } from '../jobs/job.js';
import type { JobOutcome } from '../jobs/worker.js';
import type { Logger } from '../log.js';

export interface InlineQueueOptions {
  run: (job: Job) => Promise<JobOutcome>;
  logger: Logger;
  /** Deliveries before a job is given up on, like SQS's maxReceiveCount. @default 3 */
  maxAttempts?: number;
  /** Wait before a redelivery. @default 1000 */
  retryDelayMs?: number;
  /**
   * Jobs run at once. Kept small because the jobs share this process with the Slack endpoint: acknowledgements
   * must not wait behind fifty scans (on Lambda the worker is another function, with reserved concurrency).
   * @default 4
   */
  concurrency?: number;
}

/**
 * The local stand-in for SQS: the same hand-off, run in this process after the acknowledgement has gone out.
 * Jobs go through JSON and the job schema exactly as a queue message would. A job that keeps failing is logged
 * as an error after its last attempt, the local equivalent of the dead-letter queue.
 */
export class InlineQueue implements JobQueue {
  private readonly pending = new Set<Promise<void>>();
  private readonly waiting: Array<() => void> = [];
  private running = 0;

  constructor(private readonly options: InlineQueueOptions) {}

  async enqueue(job: JobInput): Promise<void> {
    const message = JSON.stringify(job);
    const task = this.slot().then(async () => {
      try {
        await this.deliver(message, 1);
      } finally {
        this.running--;
        this.waiting.shift()?.();
      }
    });
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
  }

  /** Waits for a free slot; always yields first, so the enqueuing request is answered before the job starts. */
  private slot(): Promise<void> {
    return new Promise<void>((resolve) => {
      const start = () => {
        this.running++;
        resolve();
      };
      setImmediate(() => {
        if (this.running < (this.options.concurrency ?? 4)) start();
        else this.waiting.push(start);
      });
    });
  }

  private async deliver(message: string, attempt: number): Promise<void> {
    const { logger } = this.options;
    const job = jobSchema.parse(JSON.parse(message));
    try {
      await this.options.run(job);
    } catch (err) {
      if (attempt >= (this.options.maxAttempts ?? 3)) {
        logger.error(
          'job failed on every attempt and was dropped (the local dead-letter queue is this log line)',
          {
            jobId: job.id,
            kind: job.kind,
            err,
          },
        );
        return;
      }
      logger.warn('job will be delivered again', { jobId: job.id, attempt, err });
      await new Promise((r) => setTimeout(r, this.options.retryDelayMs ?? 1000));
      await this.deliver(message, attempt + 1);
    }
  }

  /** Resolves when every queued job has finished (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
