import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job, JobInput } from '../../src/jobs/job.js';
import { InlineQueue, type InlineQueueOptions, type JobRunner } from '../../src/local/inline-queue.js';
import { jsonLogger } from '../../src/log.js';
import { LocalQueueStore } from '../../src/store/local-queue.js';
import { documentClient } from '../../src/store/table.js';
import { localTable } from '../helpers/dynamo.js';

const lookup = (n: number): JobInput => ({
  kind: 'user.lookup',
  id: `queue-job-${String(n).padStart(4, '0')}`,
  origin: { user: 'UADMIN1', channel: 'C0ADMINS', issuedAt: 1_700_000_000_000 },
  query: `person${n}@acme.example`,
});

/** A promise with its resolve handle, so a test can hold a job open and let it go when it chooses. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('the local job queue (durable, in the local table)', () => {
  let db: Awaited<ReturnType<typeof localTable>>;
  let store: LocalQueueStore;
  let logs: Array<{ level: string; msg: string; jobId?: string }>;
  const queues: InlineQueue[] = [];

  const queue = (options: Partial<InlineQueueOptions> = {}) => {
    const q = new InlineQueue({
      store,
      logger: jsonLogger({ level: 'debug', write: (l) => logs.push(JSON.parse(l)) }),
      retryDelayMs: 5,
      ...options,
    });
    queues.push(q);
    return q;
  };
  const recording = () => {
    const ran: string[] = [];
    const run: JobRunner = async (job: Job) => {
      ran.push(job.id);
    };
    return { ran, run };
  };

  beforeEach(async () => {
    db = await localTable();
    store = new LocalQueueStore(documentClient(db.client), db.table);
    logs = [];
  });
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.close();
    await db.close();
  });

  it('has stored the job when enqueue resolves, before anything runs it', async () => {
    const q = queue();
    await q.enqueue(lookup(1));
    expect(await store.list()).toMatchObject([
      { jobId: lookup(1).id, kind: 'user.lookup', state: 'queued', attempts: 0 },
    ]);
    expect(JSON.parse((await store.list())[0]?.message ?? '')).toEqual(lookup(1));
  });

  it('rejects enqueue when the job cannot be stored, so the listener tells the admin; nothing runs', async () => {
    const { ran, run } = recording();
    const q = queue();
    await q.start(run);
    // The store fails under a running queue: its table is gone.
    await db.client.send(new DeleteTableCommand({ TableName: db.table }));
    await expect(q.enqueue(lookup(1))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await q.idle();
    expect(ran).toEqual([]);
  });

  it('starts a job only after the enqueuing call has returned, then removes it once it has run', async () => {
    const { ran, run } = recording();
    const q = queue();
    await q.start(run);
    await q.enqueue(lookup(1));
    expect(ran).toEqual([]);
    await q.idle();
    expect(ran).toEqual([lookup(1).id]);
    expect(await store.list()).toEqual([]);
  });

  it('holds jobs enqueued before start, and delivers them once it is given the runner', async () => {
    const q = queue();
    await q.enqueue(lookup(1));
    await q.enqueue(lookup(2));
    const { ran, run } = recording();
    await q.start(run);
    await q.idle();
    expect(ran.sort()).toEqual([lookup(1).id, lookup(2).id]);
  });

  it('stores and runs a job once when the same job is enqueued twice (Slack retried the request)', async () => {
    const q = queue();
    await q.enqueue(lookup(1));
    await q.enqueue(lookup(1));
    expect(await store.list()).toHaveLength(1);
    const { ran, run } = recording();
    await q.start(run);
    await q.idle();
    expect(ran).toEqual([lookup(1).id]);
  });

  it('runs at most four jobs at once', async () => {
    const held: Array<() => void> = [];
    let draining = false;
    let inFlight = 0;
    let most = 0;
    const fourStarted = deferred();
    const ran: string[] = [];
    const q = queue();
    await q.start(async (job) => {
      inFlight++;
      most = Math.max(most, inFlight);
      if (inFlight === 4) fourStarted.resolve();
      if (!draining) await new Promise<void>((resolve) => held.push(resolve));
      ran.push(job.id);
      inFlight--;
    });
    for (let n = 1; n <= 9; n++) await q.enqueue(lookup(n));
    await fourStarted.promise;
    expect(held).toHaveLength(4);
    draining = true;
    for (const release of held) release();
    await q.idle();
    expect(ran).toHaveLength(9);
    expect(most).toBe(4);
  });

  it('lets a running job queue another one', async () => {
    const ran: string[] = [];
    const q = queue();
    await q.start(async (job) => {
      ran.push(job.id);
      if (job.id === lookup(1).id) await q.enqueue(lookup(2));
    });
    await q.enqueue(lookup(1));
    await q.idle();
    expect(ran).toEqual([lookup(1).id, lookup(2).id]);
  });

  it('delivers a failing job again after the retry delay, and runs it once more when it then succeeds', async () => {
    let calls = 0;
    const q = queue();
    await q.start(async () => {
      calls++;
      if (calls === 1) throw new Error('vendor timed out');
    });
    await q.enqueue(lookup(1));
    await q.idle();
    expect(calls).toBe(2);
    expect(await store.list()).toEqual([]);
    expect(logs.filter((l) => l.msg === 'job will be delivered again')).toHaveLength(1);
  });

  it('after maxAttempts (3) failures keeps the job as dead, logs an error, and never delivers it again', async () => {
    let calls = 0;
    const q = queue();
    await q.start(async () => {
      calls++;
      throw new Error(`vendor down (attempt ${calls})`);
    });
    await q.enqueue(lookup(1));
    await q.idle();
    expect(calls).toBe(3);
    const dead = await q.deadLetters();
    expect(dead).toMatchObject([
      { jobId: lookup(1).id, state: 'dead', attempts: 3, lastError: 'Error: vendor down (attempt 3)' },
    ]);
    expect(JSON.parse(dead[0]?.message ?? '')).toEqual(lookup(1));
    expect(logs.filter((l) => l.level === 'error').map((l) => l.jobId)).toEqual([lookup(1).id]);

    const { ran, run } = recording();
    const restarted = queue();
    expect(await restarted.start(run)).toEqual({ redelivered: 0, dead: 1 });
    await restarted.idle();
    expect(ran).toEqual([]);
    expect(await store.list('dead')).toHaveLength(1);
  });

  it('scrubs secrets from the error it stores with a job', async () => {
    const q = queue({ redact: (t) => t.replaceAll('xoxb-queue-secret-0123', '[redacted]'), maxAttempts: 1 });
    await q.start(async () => {
      throw new Error('Slack refused xoxb-queue-secret-0123');
    });
    await q.enqueue(lookup(1));
    await q.idle();
    expect((await q.deadLetters())[0]?.lastError).toBe('Error: Slack refused [redacted]');
  });

  it('dead-letters at once a stored message that is not a valid job', async () => {
    await store.add({ jobId: 'not-a-job-0001', kind: 'nope', message: '{"kind":"nope"}', now: Date.now() });
    const { ran, run } = recording();
    const q = queue();
    await q.start(run);
    await q.idle();
    expect(ran).toEqual([]);
    expect(await q.deadLetters()).toMatchObject([{ jobId: 'not-a-job-0001', attempts: 1 }]);
    expect((await q.deadLetters())[0]?.lastError).toMatch(/^not a valid job: /);
  });

  it('on start delivers every stored job again, those running when the process died included', async () => {
    const first = queue();
    for (let n = 1; n <= 3; n++) await first.enqueue(lookup(n));
    // What a process that died mid-job leaves behind: the job marked running, one delivery counted.
    await store.beginDelivery(lookup(2).id);
    const recovered: string[] = [];
    const { ran, run } = recording();
    const second = queue({ recover: async (id) => void recovered.push(id) });
    expect(await second.start(run)).toEqual({ redelivered: 3, dead: 0 });
    await second.idle();
    expect(ran.sort()).toEqual([lookup(1).id, lookup(2).id, lookup(3).id]);
    expect(recovered.sort()).toEqual([lookup(1).id, lookup(2).id, lookup(3).id]);
    expect(logs.filter((l) => l.msg.startsWith('job was running when Keywarden stopped'))).toMatchObject([
      { jobId: lookup(2).id },
    ]);
    expect(await store.list()).toEqual([]);
  });

  it('dead-letters a job whose process died during each of its maxAttempts deliveries, without running it', async () => {
    const first = queue();
    await first.enqueue(lookup(1));
    for (let i = 0; i < 3; i++) await store.beginDelivery(lookup(1).id);
    const { ran, run } = recording();
    const q = queue();
    await q.start(run);
    await q.idle();
    expect(ran).toEqual([]);
    expect(await q.deadLetters()).toMatchObject([{ jobId: lookup(1).id, attempts: 4 }]);
  });

  it('on close lets running jobs finish and leaves waiting ones stored for the next start', async () => {
    const gate = deferred();
    const started = deferred();
    const ran: string[] = [];
    const q = queue({ concurrency: 1 });
    await q.start(async (job) => {
      started.resolve();
      await gate.promise;
      ran.push(job.id);
    });
    await q.enqueue(lookup(1));
    await q.enqueue(lookup(2));
    await started.promise;
    const closing = q.close();
    gate.resolve();
    await closing;
    expect(ran).toEqual([lookup(1).id]);
    expect(await store.list()).toMatchObject([{ jobId: lookup(2).id, state: 'queued' }]);
  });
});
