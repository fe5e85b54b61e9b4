import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blockLimitViolations } from '../../src/blocks/limits.js';
import type { Job } from '../../src/jobs/job.js';
import { JobBusyError, runJob, type WorkerDeps } from '../../src/jobs/worker.js';
import { jsonLogger, SecretRedactor } from '../../src/log.js';
import { webApiSlack } from '../../src/slack/web-api.js';
import { JobLedger } from '../../src/store/jobs.js';
import { documentClient } from '../../src/store/table.js';
import { WorkLimits } from '../../src/store/work-limits.js';
import { localTable } from '../helpers/dynamo.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { clock, type IdmelonHarness, idmelonHarness, NOW } from '../helpers/idmelon.js';
import { RecordingMetrics } from '../helpers/metrics.js';

const TOKEN = 'xoxb-worker-test-0123456789';

describe('worker', () => {
  const slack = new FakeSlack();
  let h: IdmelonHarness;
  let db: Awaited<ReturnType<typeof localTable>>;
  let ledger: JobLedger;
  let deps: WorkerDeps;
  const logs: string[] = [];
  const metrics = new RecordingMetrics();
  let n = 0;

  beforeAll(async () => {
    await slack.start();
    h = await idmelonHarness();
    db = await localTable();
    ledger = new JobLedger(documentClient(db.client), { table: db.table });
    deps = {
      providers: async () => [h.provider],
      slack: webApiSlack({
        token: async () => TOKEN,
        slackApiUrl: slack.apiUrl,
        logger: jsonLogger({ level: 'debug' }),
        redactor: new SecretRedactor(),
      }),
      ledger,
      clock,
      logger: jsonLogger({ level: 'debug', write: (l) => logs.push(l) }),
      metrics,
    };
  });
  afterAll(async () => {
    await h.close();
    await db.close();
    await slack.close();
  });
  afterEach(() => {
    h.sandbox.server.clearFaults();
  });

  function staleJob(over: Partial<Job> = {}): Job & { kind: 'keys.stale' } {
    return {
      kind: 'keys.stale',
      id: `job-${++n}-${Date.now()}`,
      origin: {
        user: 'UADMIN1',
        channel: 'C0ADMINS',
        responseUrl: slack.responseUrl(),
        issuedAt: NOW.getTime(),
      },
      days: 90,
      mode: 'report',
      offset: 0,
      ...over,
    } as Job & { kind: 'keys.stale' };
  }

  it('answers a job delivered twice exactly once', async () => {
    const job = staleJob();
    expect(await runJob(job, deps)).toBe('answered');
    expect(await runJob(job, deps)).toBe('duplicate');
    expect(slack.postsTo(job.origin.responseUrl as string)).toHaveLength(1);
  });

  it('counts each job by kind and outcome, and times the ones that did work', async () => {
    metrics.clear();
    const job = staleJob();
    await runJob(job, deps);
    await runJob(job, deps);
    const failing = staleJob({ origin: { user: 'UADMIN1', channel: 'C0ADMINS', issuedAt: NOW.getTime() } });
    slack.fail('chat.postEphemeral', 'channel_not_found', 5);
    slack.fail('conversations.open', 'user_not_found', 5);
    await expect(runJob(failing, deps)).rejects.toThrow(/user_not_found/);
    slack.clearFailures();
    expect(metrics.find('Jobs').map((r) => r.dimensions)).toEqual([
      { kind: 'keys.stale', outcome: 'answered' },
      { kind: 'keys.stale', outcome: 'duplicate' },
      { kind: 'keys.stale', outcome: 'retried' },
    ]);
    const timed = metrics.find('JobDuration', { kind: 'keys.stale' });
    expect(timed).toHaveLength(2);
    for (const t of timed) expect(t.value).toBeGreaterThan(0);
  });

  it('answers once when two deliveries of one job race', async () => {
    const job = staleJob();
    const results = await Promise.allSettled([runJob(job, deps), runJob(job, deps)]);
    const answered = results.filter((r) => r.status === 'fulfilled' && r.value === 'answered');
    const other = results.find((r) => !(r.status === 'fulfilled' && r.value === 'answered'));
    expect(answered).toHaveLength(1);
    // The loser either saw the job done or found it busy (and would be redelivered, then see it done).
    expect(other?.status === 'fulfilled' ? other.value : (other as PromiseRejectedResult).reason).toSatisfy(
      (v: unknown) => v === 'duplicate' || v instanceof JobBusyError,
    );
    expect(slack.postsTo(job.origin.responseUrl as string)).toHaveLength(1);
  });

  it('tells the admin in Slack which vendor failed and why', async () => {
    h.sandbox.inject({ fault: { kind: 'status', status: 503 } });
    const job = staleJob();
    expect(await runJob(job, deps)).toBe('answered');
    const [answer] = slack.postsTo(job.origin.responseUrl as string);
    expect(JSON.stringify(answer?.blocks)).toContain(
      'IDmelon*: could not scan. IDmelon is failing (server error) after 4 attempts. Try again later.',
    );
    expect(await runJob(job, deps)).toBe('duplicate');
  });

  it('tells the admin plainly when the job cannot run at all', async () => {
    const job = staleJob();
    const broken = {
      ...deps,
      providers: () => Promise.reject(new Error('secret unreadable: xoxb-should-not-show')),
    };
    expect(await runJob(job, broken)).toBe('failed');
    const text = JSON.stringify(slack.postsTo(job.origin.responseUrl as string)[0]?.blocks);
    expect(text).toContain(
      'The stale-key scan (90 days) failed: Something went wrong inside Keywarden; the details were logged.',
    );
    expect(text).not.toContain('xoxb-');
  });

  it('falls back to an ephemeral message when the response_url has expired', async () => {
    const job = staleJob({ kind: 'user.lookup', query: 'alice@acme.example' } as Partial<Job>);
    slack.expire(job.origin.responseUrl as string);
    expect(await runJob(job, deps)).toBe('answered');
    const eph = slack.callsOf('chat.postEphemeral').at(-1);
    expect(eph?.args).toMatchObject({ channel: 'C0ADMINS', user: 'UADMIN1' });
    expect(JSON.stringify(eph?.args.blocks)).toContain('Alice Anders');
  });

  it('falls back to a DM when the bot cannot post in the channel', async () => {
    const job = staleJob({
      origin: {
        user: 'UADMIN1',
        channel: 'CPRIVATE',
        issuedAt: NOW.getTime() - 3_600_000,
        responseUrl: slack.responseUrl(),
      },
    });
    slack.fail('chat.postEphemeral', 'not_in_channel');
    expect(await runJob(job, deps)).toBe('answered');
    const dm = slack.callsOf('chat.postMessage').at(-1);
    expect(dm?.args.channel).toBe('DUADMIN1');
    expect(blockLimitViolations(dm?.args.blocks as never)).toEqual([]);
  });

  it('releases the job and rethrows when no answer can be delivered, so the queue retries it', async () => {
    const job = staleJob({ origin: { user: 'UADMIN1', channel: 'C0ADMINS', issuedAt: NOW.getTime() } });
    slack.fail('chat.postEphemeral', 'channel_not_found', 5);
    slack.fail('conversations.open', 'user_not_found', 5);
    await expect(runJob(job, deps)).rejects.toThrow(/conversations.open failed: user_not_found/);
    expect(await ledger.claim(job.id, job.kind)).toBe('claimed');
    slack.clearFailures();
  });

  it('gives the work slot back once the job has answered', async () => {
    const limits = new WorkLimits(documentClient(db.client), { table: db.table, perUser: 1 });
    const origin = {
      user: 'ULIMITS1',
      channel: 'C0ADMINS',
      responseUrl: slack.responseUrl(),
      issuedAt: NOW.getTime(),
    };
    const job = staleJob({ origin });
    expect(await limits.admit(job)).toEqual({ kind: 'admitted' });
    expect((await limits.admit(staleJob({ origin, days: 30 }))).kind).toBe('user-limit');
    expect(await runJob(job, { ...deps, limits })).toBe('answered');
    expect(await limits.admit(staleJob({ origin, days: 30 }))).toEqual({ kind: 'admitted' });
  });

  it('keeps the work slot of a job that will be delivered again', async () => {
    const limits = new WorkLimits(documentClient(db.client), { table: db.table });
    const job = staleJob({ origin: { user: 'ULIMITS2', channel: 'C0ADMINS', issuedAt: NOW.getTime() } });
    expect(await limits.admit(job)).toEqual({ kind: 'admitted' });
    slack.fail('chat.postEphemeral', 'channel_not_found', 5);
    slack.fail('conversations.open', 'user_not_found', 5);
    await expect(runJob(job, { ...deps, limits })).rejects.toThrow(/user_not_found/);
    slack.clearFailures();
    expect((await limits.admit({ ...job, id: `${job.id}-again` })).kind).toBe('coalesced');
  });

  it('posts a progress message for a long scan, then the result, within 5 response_url uses', async () => {
    const slow = await idmelonHarness({ latencyMs: 30, pageCap: 10 });
    try {
      const job = staleJob();
      await runJob(job, { ...deps, providers: async () => [slow.provider], progressAfterMs: 0 });
      const posts = slack.postsTo(job.origin.responseUrl as string);
      expect(posts.length).toBeGreaterThanOrEqual(2);
      expect(posts.length).toBeLessThanOrEqual(5);
      expect(JSON.stringify(posts[0]?.blocks)).toContain('Scanning for keys unused in 90+ days');
      expect(JSON.stringify(posts.at(-1)?.blocks)).toContain('Keys unused for 90+ days');
    } finally {
      await slow.close();
    }
  });

  it('sends only the CSV for "Download CSV", and says where', async () => {
    const job = staleJob({ mode: 'csv' });
    const before = slack.callsOf('files.completeUploadExternal').length;
    await runJob(job, deps);
    expect(slack.callsOf('files.completeUploadExternal')).toHaveLength(before + 1);
    const [answer] = slack.postsTo(job.origin.responseUrl as string);
    expect(answer).toMatchObject({ replace_original: false });
    expect(JSON.stringify(answer?.blocks)).toMatch(
      /The full list \([\d,]+ keys\) was sent to you in a direct message/,
    );
  });

  it('says so in the list when the CSV could not be sent', async () => {
    slack.fail('conversations.open', 'missing_scope');
    const job = staleJob();
    await runJob(job, deps);
    // The reason goes through field() like any error text, so the underscore is a look-alike, not italics.
    expect(JSON.stringify(slack.postsTo(job.origin.responseUrl as string)[0]?.blocks)).toContain(
      "The CSV could not be sent (Slack refused Keywarden's request (missing\uff3fscope).)",
    );
  });
});

describe('job ledger on DynamoDB (dynalite)', () => {
  let db: Awaited<ReturnType<typeof localTable>>;
  beforeAll(async () => {
    db = await localTable();
  });
  afterAll(async () => {
    await db.close();
  });

  it('claims a new job, refuses a running one, and lets a lapsed claim be taken over', async () => {
    let now = 1_000_000;
    const ledger = new JobLedger(documentClient(db.client), {
      table: db.table,
      leaseMs: 1000,
      clock: { now: () => new Date(now) },
    });
    expect(await ledger.claim('a', 'keys.stale')).toBe('claimed');
    expect(await ledger.claim('a', 'keys.stale')).toBe('busy');
    now += 1001;
    expect(await ledger.claim('a', 'keys.stale')).toBe('claimed');
    await ledger.complete('a', 'answered');
    now += 1_000_000;
    expect(await ledger.claim('a', 'keys.stale')).toBe('done');
  });

  it('gives exactly one claim to 20 concurrent deliveries', async () => {
    const ledger = new JobLedger(documentClient(db.client), { table: db.table });
    const results = await Promise.all(Array.from({ length: 20 }, () => ledger.claim('b', 'keys.stale')));
    expect(results.filter((r) => r === 'claimed')).toHaveLength(1);
  });
});
