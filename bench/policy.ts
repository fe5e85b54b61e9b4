import { DAY_MS, fixedClock } from '../src/domain/clock.js';
import type { Policy } from '../src/domain/policy.js';
import { staticSecret } from '../src/http/credentials.js';
import { undiciTransport } from '../src/http/transport.js';
import { startLocalBot } from '../src/local/bot.js';
import { jsonLogger } from '../src/log.js';
import { createIdmelonProvider } from '../src/providers/idmelon/index.js';
import { scanStaleKeys } from '../src/services/stale.js';
import { FakeSlack, type SlackCall } from '../test/helpers/fake-slack.js';
import { ms, type Row, type Section, timed } from './lib.js';

/** The size the goals are set for; BENCH_POLICY_KEYS and BENCH_POLICY_OWNERS change it for a quick try. */
const KEYS = Number(process.env.BENCH_POLICY_KEYS ?? 100_000);
const OWNERS = Number(process.env.BENCH_POLICY_OWNERS ?? 4_000);
/**
 * A smaller point (e.g. 25000) to show how the cost grows, owners scaled alike. Off by default: the run at full size
 * already takes most of a minute.
 */
const SMALL_KEYS = Number(process.env.BENCH_POLICY_SMALL_KEYS ?? 0);
const SMALL_OWNERS = Math.round((OWNERS * SMALL_KEYS) / KEYS);
/** One key in IDLE_EVERY is idle: 5%. */
const IDLE_EVERY = 20;
/** People in the Slack workspace, and in IDmelon: every owner of an idle key is among them. */
const WORKSPACE = 10_000;
const IDLE_DAYS = 90;
const WALL_GOAL_MS = 10_000;
const DIRECTORY_CALLS_GOAL = 25;
/** A fixed day, so both runs fall on it and the data is dated the same way on every machine. */
const NOW = new Date('2025-06-02T09:00:00.000Z');
/** What resolving owners may cost in Slack: the paged directory read, or (what it must not do) a call per owner. */
const DIRECTORY_METHODS = ['users.list', 'users.info', 'users.lookupByEmail'];
/**
 * The policy store's writes and notice reads during a run: batched for new cycles and for the run's notices (under
 * the run's claim), one conditional write each for cycles that move. Not `cycles` and `exemptions` (one read each).
 */
const STORE_METHODS = [
  'claimRun',
  'startNewCycles',
  'startCycle',
  'clear',
  'escalate',
  'notices',
  'putNotices',
  'claimNotice',
  'noticeSent',
  'finishRun',
] as const;

const POLICY: Policy = {
  name: 'idle-keys',
  vendors: ['idmelon'],
  idleDays: IDLE_DAYS,
  neverUsedGraceDays: 90,
  exclude: { owners: [], groups: [], keyNames: [] },
  notifyOwner: true,
  graceDays: 14,
  // biome-ignore lint/suspicious/noThenProperty: the policy field is named `then`, as in the policy file
  then: 'request_revocation',
  ownerMayRevoke: false,
};

interface Measured {
  keys: number;
  owners: number;
  idle: number;
  matched: number;
  started: number;
  directoryCalls: number;
  dms: number;
  /** Owners told more than once, and people told who own no idle key. */
  repeated: number;
  strangers: number;
  runRequests: number;
  scanRequests: number;
  /** The scan's own meter, to show the sandbox's count is the same thing. */
  scanMeter: number;
  runMs: number;
  /** Per-key and per-owner calls to the policy store during the run, and the time spent awaiting them. */
  store: Tally;
  second: {
    ms: number;
    dms: number;
    requests: number;
    directoryCalls: number;
    vendorRequests: number;
    store: Tally;
  };
}

interface Tally {
  calls: number;
  ms: number;
}

/**
 * Counts the calls to `methods` of `target` and the time spent awaiting them, by wrapping them on the instance.
 * Calls made at the same time overlap, so the time is an upper bound on the store's share of the wall time.
 */
function tallyCalls<T extends object>(target: T, methods: readonly (keyof T & string)[]): Tally {
  const tally: Tally = { calls: 0, ms: 0 };
  const fields = target as Record<string, unknown>;
  for (const name of methods) {
    const original = fields[name];
    if (typeof original !== 'function') throw new Error(`the policy store has no ${name}`);
    fields[name] = async (...args: unknown[]) => {
      const start = performance.now();
      try {
        return await original.apply(target, args);
      } finally {
        tally.calls++;
        tally.ms += performance.now() - start;
      }
    };
  }
  return tally;
}

const since = (now: Tally, before: Tally): Tally => ({
  calls: now.calls - before.calls,
  ms: now.ms - before.ms,
});

const dmsOf = (calls: readonly SlackCall[]) =>
  calls.filter((c) => c.method === 'chat.postMessage' && String(c.args.channel).startsWith('D'));
const directoryCallsOf = (calls: readonly SlackCall[]) =>
  calls.filter((c) => DIRECTORY_METHODS.includes(c.method)).length;

/**
 * One bot on in-memory dynalite with the IDmelon sandbox (no injected latency) and the fake Slack: `keys` keys, one in
 * 20 idle, the idle ones owned round-robin by `owners` people; a plain stale scan of the same data, then the policy
 * run, then a second run the same day.
 */
async function measure(keys: number, owners: number): Promise<Measured> {
  const slack = await new FakeSlack().start();
  const clock = fixedClock(NOW);
  const bot = await startLocalBot({
    env: {
      SLACK_SIGNING_SECRET: 'bench-policy-signing-secret-0001',
      SLACK_BOT_TOKEN: 'xoxb-bench-policy-0123',
      SLACK_API_URL: slack.apiUrl,
      KEYWARDEN_ADMINS: 'UADMIN1',
      KEYWARDEN_APPROVERS: 'UADMIN1,UADMIN2',
      KEYWARDEN_APPROVALS_CHANNEL: 'CAPPROVALS',
    },
    port: 0,
    dataDir: null,
    clock,
    vendors: ['idmelon'],
    sandbox: {
      users: WORKSPACE,
      keys,
      logs: 0,
      staleRatio: 0.05,
      neverUsedRatio: 0,
      pendingRatio: 0,
      seed: 11,
    },
    policies: [POLICY],
    sweepEveryMs: 0,
    policyCheckEveryMs: 0,
    logger: jsonLogger({ level: 'error', write: () => {} }),
  });
  const transport = undiciTransport();
  try {
    const sandbox = bot.sandbox;
    if (!sandbox) throw new Error('the bot did not start the IDmelon sandbox');
    const { users } = sandbox.workspace;
    if (users.length < owners)
      throw new Error(`${users.length} IDmelon users cannot own ${owners} owners' keys`);
    // Exactly one key in 20 idle (91 to 690 days), owned round-robin by the first `owners` people; every other key
    // used within the last 89 days. Set before anything reads the keys, so the sandbox's sorted view is built from it.
    let idle = 0;
    const idleOwners = new Set<string>();
    for (const [i, key] of sandbox.workspace.keys.entries()) {
      key.status = 20;
      if (i % IDLE_EVERY === 0) {
        const owner = users[idle % owners];
        if (!owner) throw new Error('no owner');
        key.ownerId = owner._id;
        idleOwners.add(owner.email.toLowerCase());
        key.lastActivityAt = new Date(NOW.getTime() - (IDLE_DAYS + 1 + (idle % 600)) * DAY_MS).toISOString();
        key.totalActivities = Math.max(1, key.totalActivities);
        idle++;
      } else {
        key.lastActivityAt = new Date(NOW.getTime() - (i % (IDLE_DAYS - 1)) * DAY_MS - 60_000).toISOString();
        key.totalActivities = Math.max(1, key.totalActivities);
      }
    }
    // The Slack workspace: every IDmelon person (owners of idle keys among them), by email.
    slack.seedUsers(WORKSPACE, (i) => users[i]?.email ?? `nobody${i}@elsewhere.example`);
    const slackIdOf = new Map(slack.users.map((u) => [String(u.email).toLowerCase(), u.id]));
    const ownerChannels = new Set([...idleOwners].map((e) => `D${slackIdOf.get(e)}`));

    // The plain stale scan (`/keys stale 90`) of the same data, by a provider built as the bot builds its own.
    const provider = createIdmelonProvider({
      baseUrl: sandbox.url,
      apiKey: staticSecret(sandbox.apiKey),
      transport,
    });
    const beforeScan = sandbox.server.requests.length;
    const scan = await scanStaleKeys([provider], { days: IDLE_DAYS, clock });
    const scanRequests = sandbox.server.requests.length - beforeScan;
    const scanned = scan.sections[0];
    if (!scanned || scanned.failure) throw new Error(`the stale scan failed: ${scanned?.failure?.message}`);
    if (scan.totals.stale + scan.totals.neverUsed !== idle)
      throw new Error(`the stale scan found ${scan.totals.stale + scan.totals.neverUsed} keys, not ${idle}`);

    const store = tallyCalls(bot.policyStore, STORE_METHODS);
    const callsBefore = slack.calls.length;
    const requestsBefore = sandbox.server.requests.length;
    const { ms: runMs, result: runs } = await timed(() => bot.runPolicies());
    const runRequests = sandbox.server.requests.length - requestsBefore;
    const runCalls = slack.calls.slice(callsBefore);
    const runStore = { ...store };
    const run = runs[0];
    if (!run) throw new Error('the policy did not run');
    const dms = dmsOf(runCalls);
    const perChannel = new Map<string, number>();
    for (const c of dms)
      perChannel.set(String(c.args.channel), (perChannel.get(String(c.args.channel)) ?? 0) + 1);

    const callsBefore2 = slack.calls.length;
    const requestsBefore2 = sandbox.server.requests.length;
    const { ms: secondMs, result: seconds } = await timed(() => bot.runPolicies());
    const secondCalls = slack.calls.slice(callsBefore2);
    return {
      keys,
      owners,
      idle,
      matched: run.plan.matched.length,
      started: run.started,
      directoryCalls: directoryCallsOf(runCalls),
      dms: dms.length,
      repeated: [...perChannel.values()].filter((n) => n > 1).length,
      strangers: [...perChannel.keys()].filter((c) => !ownerChannels.has(c)).length,
      runRequests,
      scanRequests,
      scanMeter: scanned.requests,
      runMs,
      store: runStore,
      second: {
        ms: secondMs,
        dms: dmsOf(secondCalls).length,
        requests: seconds.reduce((n, r) => n + r.requests.length, 0),
        directoryCalls: directoryCallsOf(secondCalls),
        vendorRequests: sandbox.server.requests.length - requestsBefore2,
        store: since(store, runStore),
      },
    };
  } finally {
    await transport.close();
    await bot.close();
    await slack.close();
  }
}

const n = (v: number) => v.toLocaleString('en-US');

/**
 * The policy lifecycle's figures: one daily run over 100 000 IDmelon keys, 5% idle, owned by 4 000 people in a
 * Slack workspace of 10 000. Owners are resolved from one paged read of the Slack directory, each owner gets one DM
 * listing all their idle keys, the vendor is read once (the stale scan's pages, no more), and a second run the same
 * day sends and raises nothing. Slack is the fake on loopback and the vendor has no injected latency: the wall time
 * is Keywarden's own work (store writes, one DM per owner) without Slack's pacing.
 */
export async function benchPolicy(): Promise<Section> {
  const big = await measure(KEYS, OWNERS);
  const small = SMALL_KEYS > 0 ? await measure(SMALL_KEYS, SMALL_OWNERS) : undefined;
  const size = `${n(big.keys)} keys / ${n(big.owners)} owners`;
  const rows: Row[] = [
    {
      measure: 'idle keys matched; cycles started',
      value: `${n(big.matched)}; ${n(big.started)}`,
      goal: `${n(big.idle)}; ${n(big.idle)}`,
      met: big.matched === big.idle && big.started === big.idle,
    },
    {
      measure: 'Slack calls to resolve owners (users.list, users.info, users.lookupByEmail)',
      value: n(big.directoryCalls),
      goal: `≤ ${DIRECTORY_CALLS_GOAL}`,
      met: big.directoryCalls <= DIRECTORY_CALLS_GOAL,
    },
    {
      measure: 'DMs sent (chat.postMessage to D…)',
      value: n(big.dms),
      goal: n(big.owners),
      met: big.dms === big.owners,
    },
    { measure: 'owners with more than one DM', value: n(big.repeated), goal: '0', met: big.repeated === 0 },
    {
      measure: 'DMs to people who own no idle key',
      value: n(big.strangers),
      goal: '0',
      met: big.strangers === 0,
    },
    {
      measure: 'vendor requests: policy run vs plain stale scan',
      value: `${n(big.runRequests)} vs ${n(big.scanRequests)}`,
      goal: "the stale scan's, no more",
      met: big.runRequests <= big.scanRequests,
    },
    {
      measure: `wall time of the run (${size})`,
      value: ms(big.runMs),
      goal: `≤ ${n(WALL_GOAL_MS)} ms`,
      met: big.runMs <= WALL_GOAL_MS,
    },
    {
      measure:
        'policy store operations (each written in batches under the run’s claim), and the time awaiting them',
      value: `${n(big.store.calls)} calls, ${ms(big.store.ms)}`,
      goal: '',
    },
    {
      measure: 'second run the same day: DMs sent',
      value: n(big.second.dms),
      goal: '0',
      met: big.second.dms === 0,
    },
    {
      measure: 'second run the same day: requests raised',
      value: n(big.second.requests),
      goal: '0',
      met: big.second.requests === 0,
    },
    {
      measure: 'second run: wall time (in the policy store); Slack directory calls; vendor requests',
      value: `${ms(big.second.ms)} (${ms(big.second.store.ms)} in ${n(big.second.store.calls)} calls); ${n(big.second.directoryCalls)}; ${n(big.second.vendorRequests)}`,
      goal: '',
    },
  ];
  if (small) {
    const perOwner = (m: Measured) => m.runMs / m.owners;
    rows.push(
      {
        measure: `smaller point (${n(small.keys)} keys / ${n(small.owners)} owners): wall time; DMs; Slack directory calls; vendor requests (scan)`,
        value: `${ms(small.runMs)}; ${n(small.dms)}; ${n(small.directoryCalls)}; ${n(small.runRequests)} (${n(small.scanRequests)})`,
        goal: '',
      },
      {
        measure: `growth for × ${(big.keys / small.keys).toFixed(1)} keys and owners: wall time; vendor requests`,
        value: `× ${(big.runMs / small.runMs).toFixed(1)} (${perOwner(small).toFixed(2)} → ${perOwner(big).toFixed(2)} ms per owner); × ${(big.runRequests / small.runRequests).toFixed(1)}`,
        goal: '',
      },
    );
  }
  return {
    title: `Policy run over ${n(KEYS)} keys`,
    setup: `local bot on in-memory dynalite, IDmelon sandbox with no injected latency (${n(KEYS)} keys, 1 in ${IDLE_EVERY} idle for more than ${IDLE_DAYS} days, the idle ones owned round-robin by ${n(OWNERS)} people), fake Slack on loopback with ${n(WORKSPACE)} people; policy idle-keys (idle_days ${IDLE_DAYS}, notify_owner, grace 14 days, then request_revocation) run once, then again the same day, on a fixed clock`,
    rows,
    notes: [
      `Vendor requests are counted at the sandbox (every request it served) around each run. The stale scan is scanStaleKeys over the same data with the same ${IDLE_DAYS} days, by a fresh provider built as the bot builds its own, counted the same way before the run (its own meter says ${n(big.scanMeter)}); the policy run's count is everything the run asked the vendor for, scan included.`,
      'Owner resolution counts every users.list, users.info and users.lookupByEmail call during the run: the directory is read whole in pages of 1 000 and kept, so the cost follows the workspace, not the owners.',
      "The wall time is Keywarden's work only: the fake Slack answers at once (no rate-limit pacing, which with Slack's real limits dominates a run of thousands of DMs) and the sandbox has no injected latency.",
      "A run first claims its day with one conditional write; under that claim the cycles of keys that never had one and the owners' notices go to the store in batches of 25 (reads of 100), so the store costs tens of calls, not one per key. Most of the rest is the 4 000 DMs, each posted to the owner's user id (no conversations.open per owner). The second run finds the day's claim done and only plans: a scan, no writes, no DMs.",
    ],
  };
}
