import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/domain/clock.js';
import { type Transport, undiciTransport } from '../../src/http/transport.js';
import { jobIdFor } from '../../src/jobs/job.js';
import { type LocalBot, startLocalBot } from '../../src/local/bot.js';
import { jsonLogger } from '../../src/log.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { NOW } from '../helpers/idmelon.js';
import { blockActionBody, post, signedHeaders, slashCommandBody } from '../helpers/slack-requests.js';

const SECRET = 'limits-signing-secret-0123456789';
const TOKEN = 'xoxb-limits-0123456789';
const SCAN_STARTED = 'Scanning for keys unused in';
const SAME_SCAN = 'You already have that scan running; it will answer here.';

/**
 * Vendor requests held until the test lets them through, so "queued or running" lasts exactly as long as the
 * test needs: no job finishes (and frees its slot) while a burst is still arriving, and no sleeps.
 */
function gatedTransport(inner: Transport) {
  let open: () => void = () => {};
  let gate: Promise<void> = Promise.resolve();
  return {
    transport: {
      async send(req) {
        await gate;
        return inner.send(req);
      },
      close: () => inner.close(),
    } satisfies Transport,
    hold() {
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    release: () => open(),
  };
}

/** A clock the test can move forward (past a slot's expiry); everything else sees the fixed test time. */
function movableClock(start: Date): Clock & { advance(ms: number): void; reset(): void } {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    advance: (ms) => {
      t += ms;
    },
    reset: () => {
      t = start.getTime();
    },
  };
}

interface Bench {
  slack: FakeSlack;
  bot: LocalBot;
  gate: ReturnType<typeof gatedTransport>;
  clock: ReturnType<typeof movableClock>;
  logs: string[];
}

async function startBench(env: Record<string, string>): Promise<Bench> {
  const slack = await new FakeSlack().start();
  const gate = gatedTransport(undiciTransport());
  const clock = movableClock(NOW);
  const logs: string[] = [];
  const bot = await startLocalBot({
    env: {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_API_URL: slack.apiUrl,
      ...env,
    },
    port: 0,
    dataDir: null,
    clock,
    transport: gate.transport,
    vendors: ['idmelon'],
    sandbox: { users: 100, keys: 300, logs: 0 },
    // Held scans must not post progress messages: each answer counted below is the result.
    progressAfterMs: 600_000,
    logger: jsonLogger({ level: 'info', write: (l) => logs.push(l) }),
  });
  return { slack, bot, gate, clock, logs };
}

async function stopBench(b: Bench | undefined): Promise<void> {
  if (!b) return;
  await b.bot.close();
  await b.gate.transport.close();
  await b.slack.close();
}

async function command(b: Bench, user: string, text: string) {
  const responseUrl = b.slack.responseUrl();
  const body = slashCommandBody({ command: '/keys', text, user_id: user, response_url: responseUrl });
  const res = await post(b.bot.url, body, signedHeaders(SECRET, body));
  expect(res.status).toBe(200);
  return { responseUrl, answer: JSON.stringify(res.json?.blocks) };
}

async function press(b: Bench, user: string, actionId: string, value: unknown, trigger: string) {
  const responseUrl = b.slack.responseUrl();
  const body = blockActionBody({
    type: 'block_actions',
    user: { id: user },
    team: { id: 'T0001' },
    channel: { id: 'C0ADMINS' },
    container: { type: 'message', channel_id: 'C0ADMINS' },
    response_url: responseUrl,
    trigger_id: trigger,
    actions: [{ type: 'button', action_id: actionId, value: JSON.stringify(value) }],
  });
  expect((await post(b.bot.url, body, signedHeaders(SECRET, body))).status).toBe(200);
  return responseUrl;
}

/** Results (not refusals, not notes) posted to a response_url: a scan that ran. */
const scanResults = (b: Bench, url: string) =>
  b.slack.postsTo(url).filter((p) => JSON.stringify(p.blocks).includes('Keys unused for'));

const uploads = (b: Bench) => b.slack.callsOf('files.completeUploadExternal').length;
const vendorRequests = (b: Bench) => b.bot.sandbox?.server.requests.length ?? 0;

describe('bounded work per person (one admin, many /keys stale 1 at once)', () => {
  let b: Bench;
  /** What one `/keys stale 1` costs the vendor, measured alone: the oracle for the bounds below. */
  let oneScan: number;
  let perUser: number;

  beforeAll(async () => {
    b = await startBench({
      KEYWARDEN_ADMINS: 'UADMIN1,UADMIN2,UADMIN3,UADMIN4',
      KEYWARDEN_APPROVERS: 'UAPPROVER1',
    });
    perUser = b.bot.settings.maxJobsPerUser;
    const uploadsBefore = uploads(b);
    const alone = await command(b, 'UADMIN4', 'stale 1');
    await b.bot.queue.idle();
    oneScan = vendorRequests(b);
    expect(scanResults(b, alone.responseUrl)).toHaveLength(1);
    // The scan is long enough to send a CSV, so the DM count below means something.
    expect(uploads(b)).toBe(uploadsBefore + 1);
    expect(oneScan).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await stopBench(b);
  });
  // A failed assertion must not leave the vendor held for the next test.
  afterEach(() => b.gate.release());

  it('runs one scan for 50 identical commands, and tells the other 49 it is already running', async () => {
    b.bot.sandbox?.server.clearLog();
    const uploadsBefore = uploads(b);
    b.gate.hold();
    const sent = await Promise.all(Array.from({ length: 50 }, () => command(b, 'UADMIN1', 'stale 1')));
    const started = sent.filter((s) => s.answer.includes(SCAN_STARTED));
    const coalesced = sent.filter((s) => s.answer.includes(SAME_SCAN));
    expect(started).toHaveLength(1);
    expect(coalesced).toHaveLength(49);
    b.gate.release();
    await b.bot.queue.idle();

    expect(started.length).toBeLessThanOrEqual(perUser);
    expect(vendorRequests(b)).toBeLessThanOrEqual(started.length * oneScan);
    expect(vendorRequests(b)).toBeLessThanOrEqual(perUser * oneScan);
    // At most one CSV DM per distinct scan: here, one scan.
    expect(uploads(b) - uploadsBefore).toBeLessThanOrEqual(1);
    for (const s of started) expect(scanResults(b, s.responseUrl)).toHaveLength(1);
    // The refused ones were answered in the acknowledgement, and nothing followed.
    for (const s of coalesced) expect(b.slack.postsTo(s.responseUrl)).toHaveLength(0);
  });

  it('runs at most the per-person cap of different scans, and answers the rest with the limit', async () => {
    b.gate.hold();
    const sent = await Promise.all(
      Array.from({ length: 50 }, (_, i) => command(b, 'UADMIN2', `stale ${i + 1}`)),
    );
    const started = sent.filter((s) => s.answer.includes(SCAN_STARTED));
    const refused = sent.filter((s) =>
      s.answer.includes(`You already have ${perUser} jobs running; wait for one to finish.`),
    );
    expect(started).toHaveLength(perUser);
    expect(refused).toHaveLength(50 - perUser);
    b.gate.release();
    await b.bot.queue.idle();
    expect(sent.reduce((n, s) => n + scanResults(b, s.responseUrl).length, 0)).toBe(perUser);
    for (const s of refused) expect(b.slack.postsTo(s.responseUrl)).toHaveLength(0);
  });

  it('accepts a new command once those jobs have finished (their slots were given back)', async () => {
    for (const user of ['UADMIN1', 'UADMIN2']) {
      const next = await command(b, user, 'stale 1');
      expect(next.answer).toContain(SCAN_STARTED);
    }
    await b.bot.queue.idle();
  });

  it('coalesces "Download CSV" pressed several times: one scan, one DM', async () => {
    const uploadsBefore = uploads(b);
    b.gate.hold();
    const urls = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        press(b, 'UADMIN3', 'stale_csv', { days: 1, offset: 0 }, `trigger-csv-${i}`),
      ),
    );
    b.gate.release();
    await b.bot.queue.idle();
    const said = urls.map((u) => JSON.stringify(b.slack.postsTo(u)));
    expect(said.filter((s) => s.includes('You already asked for that CSV'))).toHaveLength(4);
    expect(uploads(b) - uploadsBefore).toBe(1);
  });

  it('stops counting the slots of a worker that died, once they expire', async () => {
    // Three jobs took slots and their worker died: never queued here, never released.
    for (const days of [7, 8, 9]) {
      const admission = await b.bot.limits.admit({
        kind: 'keys.stale',
        id: `dead-worker-job-${days}`,
        origin: { user: 'UADMIN3', channel: 'C0ADMINS', issuedAt: NOW.getTime() },
        days,
        mode: 'report',
      });
      expect(admission.kind).toBe('admitted');
    }
    const refused = await command(b, 'UADMIN3', 'stale 1');
    expect(refused.answer).toContain(`You already have ${perUser} jobs running`);
    // A slot lasts 15 minutes (WorkLimits' slotTtlMs): a job not given back by then no longer counts.
    b.clock.advance(15 * 60_000 + 1);
    try {
      const accepted = await command(b, 'UADMIN3', 'stale 1');
      expect(accepted.answer).toContain(SCAN_STARTED);
      await b.bot.queue.idle();
      expect(scanResults(b, accepted.responseUrl)).toHaveLength(1);
    } finally {
      b.clock.reset();
    }
  });

  it('refuses Approve from someone who is not an approver privately, and queues nothing', async () => {
    const trigger = 'trigger-approve-by-admin';
    b.logs.length = 0;
    const url = await press(b, 'UADMIN1', 'approval_approve', { r: 'R-ABCDEFGH' }, trigger);
    await b.slack.waitFor(() => b.slack.postsTo(url).length > 0);
    await b.bot.queue.idle();
    const [answer, ...more] = b.slack.postsTo(url);
    expect(more).toHaveLength(0);
    expect(answer).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(JSON.stringify(answer?.blocks)).toContain(
      "You cannot approve R-ABCDEFGH: Only Keywarden's approvers can do this.",
    );
    // No job: nothing was logged as queued, and no worker ever claimed the press's job id.
    expect(b.logs.filter((l) => l.includes('"msg":"job queued"'))).toEqual([]);
    expect(await b.bot.ledger.claim(jobIdFor(trigger, 'revoke.approve'), 'revoke.decide')).toBe('claimed');
  });

  it('still hands an approver’s press to the worker, which stays the authority', async () => {
    const url = await press(b, 'UAPPROVER1', 'approval_approve', { r: 'R-ABCDEFGH' }, 'trigger-approve-ok');
    await b.bot.queue.idle();
    expect(JSON.stringify(b.slack.postsTo(url))).toContain('Keywarden has no request R-ABCDEFGH.');
  });
});

describe('the global cap, across several admins', () => {
  let b: Bench;
  const admins = ['UADMIN1', 'UADMIN2', 'UADMIN3', 'UADMIN4'];

  beforeAll(async () => {
    b = await startBench({ KEYWARDEN_ADMINS: admins.join(','), KEYWARDEN_MAX_JOBS: '5' });
  });
  afterAll(async () => {
    await stopBench(b);
  });
  afterEach(() => b.gate.release());

  it('runs at most KEYWARDEN_MAX_JOBS jobs in all, and says so to everyone else', async () => {
    const { maxJobs, maxJobsPerUser } = b.bot.settings;
    // Each admin stays within their own cap, so every refusal is the global one.
    const asks = admins.flatMap((u) => Array.from({ length: maxJobsPerUser }, (_, i) => [u, i + 1] as const));
    expect(asks.length).toBeGreaterThan(maxJobs);
    b.gate.hold();
    const sent = await Promise.all(asks.map(([u, days]) => command(b, u, `stale ${days}`)));
    const started = sent.filter((s) => s.answer.includes(SCAN_STARTED));
    const refused = sent.filter((s) =>
      s.answer.includes(`Keywarden is already running ${maxJobs} jobs, as many as it takes at once`),
    );
    expect(started).toHaveLength(maxJobs);
    expect(refused).toHaveLength(asks.length - maxJobs);
    b.gate.release();
    await b.bot.queue.idle();
    expect(sent.reduce((n, s) => n + scanResults(b, s.responseUrl).length, 0)).toBe(maxJobs);
  });
});
