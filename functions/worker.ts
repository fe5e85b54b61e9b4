import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { redeliveryDelaySeconds } from '../src/aws/sqs-queue.js';
import { JobBusyError } from '../src/jobs/deps.js';
import { jobSchema } from '../src/jobs/job.js';
import { runJob } from '../src/jobs/worker.js';
import { invocation } from '../src/runtime/invocation.js';
import { workerRedelivery, workerRuntime } from '../src/runtime/worker.js';

const deps = workerRuntime(process.env);
const redeliver = workerRedelivery(process.env);

/**
 * SQS → runJob, one message at a time, reporting partial batch failures. A message that fails goes back to the
 * queue after a short, growing delay (its visibility is changed: 30 s when another worker holds the job, 15 s
 * doubling per receive otherwise), and to the dead-letter queue after maxReceiveCount; the others are not redone. A
 * message that is not a valid job is failed too, so it ends in the dead-letter queue for someone to read.
 */
export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
  invocation(context, deps.metrics, async () => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      let job: ReturnType<typeof jobSchema.parse>;
      try {
        job = jobSchema.parse(JSON.parse(record.body));
      } catch (err) {
        deps.logger.error('an SQS message is not a valid job; it will end in the dead-letter queue', {
          messageId: record.messageId,
          err,
        });
        batchItemFailures.push({ itemIdentifier: record.messageId });
        continue;
      }
      try {
        await runJob(job, deps);
      } catch (err) {
        const receives = Number(record.attributes?.ApproximateReceiveCount ?? 1);
        const seconds = redeliveryDelaySeconds(err instanceof JobBusyError, receives);
        deps.logger.error('job will be retried by SQS', {
          messageId: record.messageId,
          jobId: job.id,
          receives,
          retryInSeconds: seconds,
          err,
        });
        await redeliver(record.receiptHandle, seconds).catch((e: unknown) =>
          deps.logger.warn(
            'could not shorten the visibility of a failed job; it returns after the full timeout',
            {
              err: e,
            },
          ),
        );
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  });
