import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccessPolicy } from '../../../src/auth/access.js';
import { DAY_MS } from '../../../src/domain/clock.js';
import { noMetrics } from '../../../src/domain/metrics.js';
import { runSweep } from '../../../src/features/revocation/sweep.js';
import type { Job, JobInput, JobQueue } from '../../../src/jobs/job.js';
import { runJob, type WorkerDeps } from '../../../src/jobs/worker.js';
import { jsonLogger, SecretRedactor } from '../../../src/log.js';
import { createRequests, decide } from '../../../src/services/revocation.js';
import { findStuckRequests } from '../../../src/services/sweep.js';
import { webApiSlack } from '../../../src/slack/web-api.js';
import { JobLedger } from '../../../src/store/jobs.js';
import { type RequestedKey, RequestStore } from '../../../src/store/requests.js';
import { documentClient } from '../../../src/store/table.js';
import { localTable } from '../../helpers/dynamo.js';
import { FakeSlack } from '../../helpers/fake-slack.js';
import { type IdmelonHarness, idmelonHarness, NOW } from '../../helpers/idmelon.js';

const TOKEN = 'xoxb-recovery-test-0123456789';
const LEASE_MS = 300_000;
const text = (v: unknown) => JSON.stringify(v);

/** Collects what the worker and the sweep queue (the SQS port, faked at its boundary). */
class RecordingQueue implements JobQueue {
  readonly jobs: JobInput[] = [];
  async enqueue(job: JobInput): Promise<void> {
    this.jobs.push(job);
  }
}

describe('revocations that stop are resumed (worker, sweep, Retry now)', () => {
  const slack = new FakeSlack();
  let h: IdmelonHarness;
  let db: Awaited<ReturnType<typeof localTable>>;
  let now = NOW.getTime();
  const clock = { now: () => new Date(now) };
  let store: RequestStore;
  let queue: RecordingQueue;
  let deps: WorkerDeps;
  let n = 0;

  beforeAll(async () => {
    await slack.start();
    h = await idmelonHarness({ users: 300, keys: 1500, logs: 0, staleRatio: 0.3, neverUsedRatio: 0 });
    db = await localTable();
  });
  afterAll(async () => {
    await h.close();
    await db.close();
    await slack.close();
  });
  beforeEach(() => {
    now = NOW.getTime();
    const doc = documentClient(db.client);
    store = new RequestStore(doc, {
      table: db.table,
      clock: { now: () => new Date(now) },
      leaseMs: LEASE_MS,
    });
    queue = new RecordingQueue();
    const slackApi = webApiSlack({
      token: async () => TOKEN,
      slackApiUrl: slack.apiUrl,
      logger: jsonLogger(),
      redactor: new SecretRedactor(),
    });
    deps = {
      providers: async () => [h.provider],
      slack: slackApi,
      ledger: new JobLedger(doc, { table: db.table, clock: { now: () => new Date(now) } }),
      clock,
      logger: jsonLogger({ level: 'debug' }),
      metrics: noMetrics,
      queue,
      revocation: {
        store,
        access: new AccessPolicy(slackApi, jsonLogger()),
        approvers: { users: ['UADMIN1', 'UADMIN2'] },
        approvalsChannel: 'CAPPROVALS',
        auditChannel: 'CAUDIT',
        dryRun: false,
        ttlHours: 24,
      },
    };
  });
  afterEach(() => {
    h.sandbox.server.clearFaults();
  });

  const origin = (user: string) => ({
    user,
    channel: 'CAPPROVALS',
    responseUrl: slack.responseUrl(),
    issuedAt: now,
  });

  /** An approved request for the first `count` stale keys, posted in the approvals channel. */
  async function approvedRequest(count: number) {
    const cutoff = now - 90 * DAY_MS;
    const refs = h.sandbox.workspace.keys
      .filter((k) => k.status === 20 && k.lastActivityAt !== null && Date.parse(k.lastActivityAt) < cutoff)
      .filter((k) => !h.sandbox.routes.deletions.includes(k._id))
      .slice(0, count)
      .map((k) => ({ vendor: 'idmelon' as const, id: k._id, ownerId: k.ownerId }));
    const [created] = await createRequests(
      { kind: 'keys', refs, thresholdDays: 90 },
      { requester: 'UADMIN1', ttlHours: 24 },
      { store, providers: [h.provider], clock, logger: deps.logger, dryRun: false },
    );
    if (!created) throw new Error('no request');
    const posted = await deps.slack.postMessage('CAPPROVALS', { text: created.request.id, blocks: [] });
    await store.setMessage(created.request.id, posted);
    expect(await decide(store, created.request.id, 'UADMIN2', 'approve')).toMatchObject({ kind: 'approved' });
    return created;
  }

  /** A run claims the execution, sends its first batch, IDmelon deletes it, and the run dies. */
  async function dieMidBatch(requestId: string, keys: RequestedKey[]) {
    const claim = await store.claimExecution(requestId);
    if (!claim.ok) throw new Error('could not claim');
    const batch = keys.slice(0, 5);
    await store.markSent(requestId, claim.request.attempt, 0, batch);
    for (const k of batch)
      await fetch(`${h.sandbox.url}/administrator/securityDevice/${k.id}?_id=${k.id}`, {
        method: 'DELETE',
        headers: { authorization: h.sandbox.apiKey },
      });
    return batch;
  }

  const job = (over: Record<string, unknown>): Job => ({ id: `job-${++n}-${Math.random()}`, ...over }) as Job;
  const answerTo = (j: Job) => slack.postsTo(('origin' in j ? j.origin.responseUrl : '') as string);
  /** Why the sweep would resume this request (other tests' requests share the table). */
  const whyStuck = async (id: string) =>
    (await findStuckRequests(store, clock)).filter((s) => s.request.id === id).map((s) => s.why);

  it('the sweep finds a run whose lease lapsed, and its resumption finishes the request exactly once', async () => {
    const { request, keys } = await approvedRequest(40);
    const died = await dieMidBatch(request.id, keys);
    expect(await whyStuck(request.id)).toEqual([]);
    now += LEASE_MS + 1;
    expect(await whyStuck(request.id)).toEqual(['lease_lapsed']);

    const before = h.sandbox.routes.deletions.length;
    await runSweep({ store, queue, clock, logger: deps.logger });
    const resume = queue.jobs.find((j) => j.kind === 'revoke.resume' && j.requestId === request.id);
    expect(resume).toMatchObject({ kind: 'revoke.resume', requestId: request.id, why: 'sweep' });
    expect(await runJob(resume as Job, deps)).toBe('answered');

    expect(await store.get(request.id)).toMatchObject({
      state: 'done',
      summary: { deleted: keys.length, already_gone: 0 },
    });
    // The keys the dead run deleted were not sent again; the rest were sent once.
    const sentAfter = h.sandbox.routes.deletions.slice(before);
    expect(sentAfter.sort()).toEqual(
      keys
        .map((k) => k.id)
        .filter((id) => !died.some((d) => d.id === id))
        .sort(),
    );
    const update = slack
      .callsOf('chat.update')
      .filter((c) => text(c.args.blocks).includes(request.id))
      .at(-1);
    expect(text(update?.args.blocks)).toContain(`${keys.length} deleted`);
    const audit = slack
      .callsOf('chat.postMessage')
      .filter((c) => c.args.channel === 'CAUDIT')
      .at(-1);
    expect(text(audit?.args)).toContain(`${request.id}`);
    expect(text(audit?.args)).toContain(`${keys.length} deleted`);
    // A second sweep finds nothing left to do.
    expect(await whyStuck(request.id)).toEqual([]);
  });

  it('an Approve delivered again after the worker died resumes the request', async () => {
    const { request, keys } = await approvedRequest(20);
    await dieMidBatch(request.id, keys);
    now += LEASE_MS + 1;
    const redelivered = job({
      kind: 'revoke.decide',
      origin: origin('UADMIN2'),
      requestId: request.id,
      decision: 'approve',
    });
    expect(await runJob(redelivered, deps)).toBe('answered');
    expect(await store.get(request.id)).toMatchObject({ state: 'done', summary: { deleted: keys.length } });
  });

  it('Retry now while a run is alive changes nothing and says so; after its lease lapses it resumes', async () => {
    const { request, keys } = await approvedRequest(20);
    await dieMidBatch(request.id, keys);
    const early = job({ kind: 'revoke.execute', origin: origin('UADMIN2'), requestId: request.id });
    expect(await runJob(early, deps)).toBe('answered');
    expect(text(answerTo(early))).toContain('is being carried out right now');
    expect(await store.get(request.id)).toMatchObject({ state: 'executing', attempt: 1 });

    now += LEASE_MS + 1;
    const late = job({ kind: 'revoke.execute', origin: origin('UADMIN1'), requestId: request.id });
    expect(await runJob(late, deps)).toBe('answered');
    expect(await store.get(request.id)).toMatchObject({ state: 'done', summary: { deleted: keys.length } });
  });

  it('Retry now from someone who is not an approver is refused and runs nothing', async () => {
    const { request, keys } = await approvedRequest(10);
    await dieMidBatch(request.id, keys);
    now += LEASE_MS + 1;
    const before = h.sandbox.routes.deletions.length;
    const intruder = job({ kind: 'revoke.execute', origin: origin('UINTRUDER'), requestId: request.id });
    expect(await runJob(intruder, deps)).toBe('answered');
    expect(text(answerTo(intruder))).toContain(`You cannot retry ${request.id}`);
    expect(h.sandbox.routes.deletions.length).toBe(before);
    expect(await store.get(request.id)).toMatchObject({ state: 'executing', attempt: 1 });
  });

  it('a slice that runs out queues its continuation, which carries the request on', async () => {
    const { request, keys } = await approvedRequest(250);
    const ticking = {
      now: () => {
        now += 1000;
        return new Date(now);
      },
    };
    const sliced: WorkerDeps = {
      ...deps,
      clock: ticking,
      revocation: { ...(deps.revocation as NonNullable<WorkerDeps['revocation']>), sliceMs: 1 },
    };
    let guard = 0;
    let next: Job = job({ kind: 'revoke.execute', origin: origin('UADMIN2'), requestId: request.id });
    while (guard++ < 50) {
      expect(await runJob(next, sliced)).toBe('answered');
      const continuation = queue.jobs.shift();
      if (!continuation) break;
      expect(continuation).toMatchObject({ kind: 'revoke.resume', why: 'continue', requestId: request.id });
      next = continuation as Job;
    }
    expect(guard).toBeGreaterThan(2);
    expect(await store.get(request.id)).toMatchObject({ state: 'done', summary: { deleted: keys.length } });
  });

  it('a lost continuation is found by the sweep as stalled', async () => {
    const { request } = await approvedRequest(5);
    // Approved, and nobody ever picked it up (the approve job's worker died before claiming it).
    expect(await whyStuck(request.id)).toEqual([]);
    now += 121_000;
    expect(await whyStuck(request.id)).toEqual(['stalled']);
  });

  it('retries a vendor failure automatically a few times, then leaves it to Retry now', async () => {
    const { request } = await approvedRequest(5);
    h.sandbox.inject({ fault: { kind: 'status', status: 503 }, match: (r) => r.method === 'DELETE' });
    for (let attempt = 1; attempt <= 5; attempt++) {
      await runJob(job({ kind: 'revoke.resume', requestId: request.id, why: 'sweep' }), deps);
      expect(await store.get(request.id)).toMatchObject({ state: 'approved', attempt });
      now += 300_000 * attempt + 1;
      expect(await whyStuck(request.id)).toEqual(attempt < 5 ? ['retry'] : []);
    }
  });

  it('refuses to record a request when no approvals channel is set, and records nothing', async () => {
    const noChannel: WorkerDeps = {
      ...deps,
      revocation: {
        ...(deps.revocation as NonNullable<WorkerDeps['revocation']>),
        approvalsChannel: undefined,
      },
    };
    const before = (await store.listOpen()).length;
    const ask = job({
      kind: 'revoke.request',
      origin: origin('UADMIN1'),
      source: { kind: 'stale', days: 90 },
    });
    expect(await runJob(ask, noChannel)).toBe('answered');
    expect(text(answerTo(ask))).toContain('`KEYWARDEN_APPROVALS_CHANNEL` is not set');
    expect((await store.listOpen()).length).toBe(before);
  });
});
