import { startIdmelonSandbox } from '../sandbox/idmelon/index.js';
import { AccessPolicy } from '../src/auth/access.js';
import { noMetrics } from '../src/domain/metrics.js';
import { staticSecret } from '../src/http/credentials.js';
import { undiciTransport } from '../src/http/transport.js';
import type { Job, JobInput, JobQueue } from '../src/jobs/job.js';
import { runJob, type WorkerDeps } from '../src/jobs/worker.js';
import { startLocalDynamo } from '../src/local/dynamo.js';
import { jsonLogger, SecretRedactor } from '../src/log.js';
import { createIdmelonProvider } from '../src/providers/idmelon/index.js';
import { createRequests, decide } from '../src/services/revocation.js';
import { webApiSlack } from '../src/slack/web-api.js';
import { JobLedger } from '../src/store/jobs.js';
import { RequestStore } from '../src/store/requests.js';
import { documentClient } from '../src/store/table.js';
import { FakeSlack } from '../test/helpers/fake-slack.js';
import { ms, type Section, timed } from './lib.js';

const LATENCY_MS = 50;
const KEYS = Number(process.env.BENCH_REVOCATION_KEYS ?? 100_000);
/** The worker's timeout on Lambda (serverless.yml), which no invocation may reach. */
const WORKER_TIMEOUT_MS = 120_000;
/** What the Lambda runtime sets (src/runtime/worker.ts). */
const SLICE_MS = 40_000;
const VENDOR_DEADLINE_MS = 60_000;

/** The worker's queue as the bench sees it: continuations are collected and run one after another. */
class CollectingQueue implements JobQueue {
  readonly jobs: JobInput[] = [];
  async enqueue(job: JobInput): Promise<void> {
    this.jobs.push(job);
  }
}

/**
 * Issue 11's figure: an approved request for 100 000 IDmelon keys runs to the end as a chain of worker invocations,
 * each handing over to the next before its time slice runs out, so none comes near the worker's timeout. Every
 * vendor request pays 50 ms of injected latency; DynamoDB is in-memory dynalite.
 */
export async function benchRevocation(): Promise<Section> {
  const now = new Date();
  const sandbox = await startIdmelonSandbox({
    now,
    users: 20_000,
    keys: Math.round(KEYS / 0.95),
    logs: 0,
    staleRatio: 0.94,
    neverUsedRatio: 0.01,
    pendingRatio: 0,
    latencyMs: LATENCY_MS,
  });
  const workspaceKeys = sandbox.workspace.keys.length;
  const dynamo = await startLocalDynamo({ table: 'bench-revocation' });
  const slack = await new FakeSlack().start();
  const transport = undiciTransport({ connections: 32 });
  const logger = jsonLogger({ level: 'error', write: () => {} });
  const clock = { now: () => new Date() };
  const db = documentClient(dynamo.client);
  const store = new RequestStore(db, { table: 'bench-revocation' });
  const provider = createIdmelonProvider({
    baseUrl: sandbox.url,
    apiKey: staticSecret(sandbox.apiKey),
    transport,
  });
  const queue = new CollectingQueue();
  const slackApi = webApiSlack({
    token: async () => 'xoxb-bench-revocation-0',
    slackApiUrl: slack.apiUrl,
    logger,
    redactor: new SecretRedactor(),
  });
  const deps: WorkerDeps = {
    providers: async () => [provider],
    slack: slackApi,
    ledger: new JobLedger(db, { table: 'bench-revocation' }),
    clock,
    logger,
    metrics: noMetrics,
    queue,
    revocation: {
      store,
      access: new AccessPolicy(slackApi, logger),
      approvers: { users: ['UAPPROVER'] },
      approvalsChannel: 'CAPPROVALS',
      dryRun: false,
      ttlHours: 24,
      sliceMs: SLICE_MS,
      deadlineMs: VENDOR_DEADLINE_MS,
    },
  };
  try {
    const { ms: createMs, result: created } = await timed(() =>
      createRequests(
        { kind: 'stale', days: 90, vendor: 'idmelon' },
        { requester: 'UADMIN', ttlHours: 24 },
        { store, providers: [provider], clock, logger, dryRun: false, deadlineMs: 600_000 },
      ),
    );
    const request = created[0]?.request;
    if (!request) throw new Error('no request was made');
    const posted = await slackApi.postMessage('CAPPROVALS', { text: request.id, blocks: [] });
    await store.setMessage(request.id, posted);
    await decide(store, request.id, 'UAPPROVER', 'approve');
    const before = sandbox.server.requests.length;
    const invocations: number[] = [];
    let next: JobInput | undefined = {
      kind: 'revoke.execute',
      id: 'bench-revocation-retry',
      origin: { user: 'UAPPROVER', channel: 'CAPPROVALS', issuedAt: Date.now() },
      requestId: request.id,
    };
    const { ms: totalMs } = await timed(async () => {
      while (next) {
        const job = next as Job;
        const { ms: t } = await timed(() => runJob(job, deps));
        invocations.push(t);
        next = queue.jobs.shift();
      }
    });
    const final = await store.get(request.id);
    const deletions = sandbox.routes.deletions.length;
    const vendorRequests = sandbox.server.requests.length - before;
    const longest = Math.max(...invocations);
    return {
      title: `Chunked revocation of ${KEYS.toLocaleString('en-US')} keys (issue 11)`,
      setup: `IDmelon sandbox (${workspaceKeys.toLocaleString('en-US')} keys, ${LATENCY_MS} ms per request), in-memory dynalite; one approved request for every stale key; worker invocations run one after another as SQS would deliver the continuations; slice ${SLICE_MS / 1000} s, vendor call budget ${VENDOR_DEADLINE_MS / 1000} s, as on Lambda`,
      rows: [
        {
          measure: 'keys in the request',
          value: request.keyCount.toLocaleString('en-US'),
          goal: `≥ ${KEYS.toLocaleString('en-US')}`,
          met: request.keyCount >= KEYS,
        },
        { measure: 'request made (scan, verify, store every key)', value: ms(createMs), goal: '' },
        {
          measure: 'outcome',
          value: `${final?.state}: ${final?.summary?.deleted.toLocaleString('en-US')} deleted`,
          goal: 'done, all deleted',
          met: final?.state === 'done' && final.summary?.deleted === request.keyCount,
        },
        {
          measure: 'keys deleted at the vendor, each once',
          value: `${deletions.toLocaleString('en-US')} (${new Set(sandbox.routes.deletions).size.toLocaleString('en-US')} distinct)`,
          goal: String(request.keyCount.toLocaleString('en-US')),
          met: deletions === request.keyCount && new Set(sandbox.routes.deletions).size === deletions,
        },
        { measure: 'worker invocations', value: String(invocations.length), goal: '' },
        {
          measure: 'longest invocation',
          value: ms(longest),
          goal: `< ${WORKER_TIMEOUT_MS / 1000} s (worker timeout)`,
          met: longest < WORKER_TIMEOUT_MS,
        },
        { measure: 'execution, first press to done', value: ms(totalMs), goal: '' },
        {
          measure: 'vendor requests during execution',
          value: vendorRequests.toLocaleString('en-US'),
          goal: `floor: ${Math.ceil(request.keyCount / 100).toLocaleString('en-US')} bulk DELETEs + ${Math.ceil(request.keyCount / 100).toLocaleString('en-US')} listing pages`,
        },
      ],
      notes: [
        'Each slice confirms its keys a window (5 000) at a time from the stale listing, least recently used first, so a window reads only the stretch of the listing it sits in; the floor is one listing page and one bulk DELETE per 100 keys.',
      ],
    };
  } finally {
    await transport.close();
    await sandbox.close();
    await dynamo.close();
    await slack.close();
  }
}
