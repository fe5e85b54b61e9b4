import { join } from 'node:path';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { loadSettings } from '../config/settings.js';
import { ConfigError } from '../http/errors.js';
import { jobSchema } from '../jobs/job.js';
import { startLocalDynamo } from '../local/dynamo.js';
import { LocalQueueStore } from '../store/local-queue.js';
import { documentClient } from '../store/table.js';
import { terminalText } from '../util/text-safety.js';

/**
 * `keywarden jobs dlq` and `keywarden jobs redrive`: the jobs that failed on every attempt, in plain words (which
 * command or request, for whom, why), and sending them back. With `KEYWARDEN_QUEUE_URL` set it reads the AWS
 * dead-letter queue (found through the job queue's redrive policy); otherwise the local queue in `.keywarden/`.
 */
export interface JobsIo {
  stdout: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** The local data directory. @default .keywarden/dynamodb */
  dataDir?: string | null;
  /** The SQS client (tests pass one whose calls are mocked). */
  sqs?: SQSClient;
}

/** One line for a job, from its message alone: what it was and for whom. */
export function describeJob(message: string): string {
  let raw: unknown;
  try {
    raw = JSON.parse(message);
  } catch {
    return 'a message that is not JSON (not a Keywarden job)';
  }
  const parsed = jobSchema.safeParse(raw);
  if (!parsed.success) return 'a message that is not a valid Keywarden job';
  const job = parsed.data;
  const who = 'origin' in job ? ` for <@${job.origin.user}>` : '';
  switch (job.kind) {
    case 'keys.stale':
      return `stale-key scan of ${job.days} days${job.vendor ? ` (${job.vendor})` : ''}${who}`;
    case 'user.lookup':
      return `user lookup${who}`;
    case 'digest.preview':
      return `digest preview${who}`;
    case 'revoke.request':
      return `revocation request${who}`;
    case 'revoke.decide':
      return `${job.decision} of ${job.requestId}${who}`;
    case 'revoke.execute':
      return `retry of ${job.requestId}${who}`;
    case 'revoke.resume':
      return `resumption of ${job.requestId} (${job.why})`;
    case 'policy.run':
      return `policy run${job.policy ? ` of ${job.policy}` : ''}`;
    case 'policy.notify':
      return `owner notices of ${job.runId} (${job.owners.length} owners)`;
    case 'home.refresh':
      return `Home refresh for <@${job.user}>`;
    default:
      return `${job.kind}${who}`;
  }
}

export async function runJobsCommand(sub: string | undefined, io: JobsIo): Promise<number> {
  if (sub !== 'dlq' && sub !== 'redrive') throw new Error('jobs takes dlq or redrive');
  const settings = loadSettings(io.env);
  return settings.queueUrl ? awsJobs(sub, settings.queueUrl, io) : localJobs(sub, settings.table, io);
}

async function localJobs(sub: 'dlq' | 'redrive', table: string, io: JobsIo): Promise<number> {
  const path = io.dataDir === undefined ? join(process.cwd(), '.keywarden', 'dynamodb') : io.dataDir;
  const dynamo = await startLocalDynamo({ table, path: path ?? undefined });
  try {
    const store = new LocalQueueStore(documentClient(dynamo.client), table);
    const dead = await store.list('dead');
    if (dead.length === 0) {
      io.stdout('The local dead-letter list is empty: no job failed on every attempt.\n');
      return 0;
    }
    if (sub === 'dlq') {
      io.stdout(`${dead.length} job(s) failed on every attempt (local queue):\n`);
      for (const j of dead)
        io.stdout(
          `${terminalText(
            `• ${j.deadAt ?? j.enqueuedAt} ${describeJob(j.message)} [job ${j.jobId}, ${j.attempts} attempts]: ${j.lastError ?? 'no error recorded'}`,
          )}\n`,
        );
      return 0;
    }
    for (const j of dead) await store.retryLater(j.jobId, Date.now(), j.lastError ?? '');
    io.stdout(`${dead.length} job(s) sent back to the local queue; npm start delivers them again.\n`);
    return 0;
  } finally {
    await dynamo.close();
  }
}

async function awsJobs(sub: 'dlq' | 'redrive', queueUrl: string, io: JobsIo): Promise<number> {
  const sqs = io.sqs ?? new SQSClient({});
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }),
  );
  const policy = JSON.parse(attrs.Attributes?.RedrivePolicy ?? '{}') as { deadLetterTargetArn?: string };
  const dlqArn = policy.deadLetterTargetArn;
  if (!dlqArn) throw new ConfigError(`the queue ${queueUrl} has no dead-letter queue (no redrive policy)`);
  if (sub === 'redrive') {
    const task = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    io.stdout(
      `Moving the dead-letter queue's messages back to the job queue (task ${task.TaskHandle ?? 'started'}); the worker runs them again.\n`,
    );
    return 0;
  }
  const name = dlqArn.split(':').at(-1) ?? '';
  const { QueueUrl: dlqUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  // Looked at, not taken: a zero visibility timeout leaves each message in the queue for the redrive.
  const seen = new Map<string, { body: string; receives: string; sent: string }>();
  for (let round = 0; round < 10 && seen.size < 100; round++) {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );
    const messages = res.Messages ?? [];
    if (messages.length === 0) break;
    let fresh = 0;
    for (const m of messages) {
      if (!m.MessageId || seen.has(m.MessageId)) continue;
      fresh++;
      seen.set(m.MessageId, {
        body: m.Body ?? '',
        receives: m.Attributes?.ApproximateReceiveCount ?? '?',
        sent: m.Attributes?.SentTimestamp ? new Date(Number(m.Attributes.SentTimestamp)).toISOString() : '?',
      });
    }
    if (fresh === 0) break;
  }
  if (seen.size === 0) {
    io.stdout('The dead-letter queue is empty.\n');
    return 0;
  }
  io.stdout(`${seen.size} message(s) in the dead-letter queue:\n`);
  for (const [id, m] of seen) {
    const jobId = (() => {
      try {
        return String((JSON.parse(m.body) as { id?: unknown }).id ?? '?');
      } catch {
        return '?';
      }
    })();
    io.stdout(
      `${terminalText(
        `• ${m.sent} ${describeJob(m.body)} [job ${jobId}, message ${id}, received ${m.receives} times]: why is in the worker's log lines for that job id`,
      )}\n`,
    );
  }
  return 0;
}
