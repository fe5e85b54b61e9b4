import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { LAMBDA_ENTRIES, lambdaBuildOptions } from '../infra/esbuild.js';
import { startLocalBot } from '../src/local/bot.js';
import { jsonLogger } from '../src/log.js';
import { FakeSlack } from '../test/helpers/fake-slack.js';
import { signedHeaders, slashCommandBody } from '../test/helpers/slack-requests.js';
import { loadAdmin, median, ms, percentile, type Section } from './lib.js';

const run = promisify(execFile);
const IMPORT_RUNS = 15;
const CONCURRENT = 50;
const LOAD = 200;
const SIGNING_SECRET = 'bench-signing-secret-0123456789';

/** Bundles each function as it ships and measures its size, and the cold import+init of slack-events. */
async function bundles(): Promise<{ sizes: Record<string, number>; importMs: number[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'keywarden-bench-'));
  try {
    const sizes: Record<string, number> = {};
    for (const [name, entry] of Object.entries(LAMBDA_ENTRIES)) {
      const outfile = join(dir, `${name}.mjs`);
      await build({ ...lambdaBuildOptions, entryPoints: [entry], outfile });
      sizes[name] = (await stat(outfile)).size;
    }
    // A fresh Node process per run, as a cold start: time to import the bundle, which builds the clients.
    const script = `const t = performance.now(); await import(${JSON.stringify(join(dir, 'slack-events.mjs'))}); console.log(performance.now() - t);`;
    const env = {
      PATH: process.env.PATH,
      AWS_REGION: 'eu-west-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      KEYWARDEN_SECRET_ID: 'keywarden/bench',
      KEYWARDEN_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/keywarden-jobs',
    };
    const importMs: number[] = [];
    for (let i = 0; i < IMPORT_RUNS; i++) {
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env });
      importMs.push(Number(stdout.trim()));
    }
    return { sizes, importMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `count` signed /keys stale 90 commands at once to the local server, from a separate process (bench/ack-load.ts);
 * each acknowledgement's latency, and whether every command was answered exactly once.
 */
async function acknowledgements(count: number): Promise<{ ackMs: number[]; answered: number }> {
  const slack = await new FakeSlack().start();
  const bot = await startLocalBot({
    env: {
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: 'xoxb-bench-0123456789',
      SLACK_API_URL: slack.apiUrl,
      KEYWARDEN_ADMINS: Array.from({ length: count }, (_, i) => loadAdmin(i)).join(','),
      // Every command becomes a job, as before the limits: this measures acknowledgements under load.
      KEYWARDEN_MAX_JOBS: String(count),
    },
    port: 0,
    dataDir: null,
    vendors: ['idmelon'],
    logger: jsonLogger({ level: 'error', write: () => {} }),
  });
  try {
    // One warm-up request, as a warm Lambda container would have served.
    const warm = slashCommandBody({
      command: '/keys',
      text: 'help',
      user_id: loadAdmin(0),
      response_url: slack.responseUrl(),
    });
    await fetch(`${bot.url}/slack/events`, {
      method: 'POST',
      body: warm,
      headers: signedHeaders(SIGNING_SECRET, warm),
    });
    const hookBase = `${slack.url}/hooks`;
    const urls = Array.from({ length: count }, (_, i) => `${hookBase}/load-${i}`);
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        new URL('./ack-load.ts', import.meta.url).pathname,
        bot.url,
        String(count),
        hookBase,
      ],
      { env: { ...process.env, SIGNING_SECRET } },
    );
    const ackMs = JSON.parse(stdout) as number[];
    await slack.waitFor(() => urls.every((u) => slack.postsTo(u).length > 0), 120_000, 'every answer');
    await bot.queue.idle();
    return { ackMs, answered: urls.filter((u) => slack.postsTo(u).length === 1).length };
  } finally {
    await bot.close();
    await slack.close();
  }
}

export async function benchSlack(): Promise<Section> {
  const { sizes, importMs } = await bundles();
  const { ackMs, answered } = await acknowledgements(CONCURRENT);
  const big = await acknowledgements(LOAD);
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  const slackEvents = sizes['slack-events'] ?? 0;
  const importMedian = median(importMs);
  const p50 = percentile(ackMs, 50);
  const p99 = percentile(ackMs, 99);
  return {
    title: 'Slack: bundles, cold import, acknowledgement latency (issues 3 and 8)',
    setup: `esbuild minified ESM bundles as shipped (infra/esbuild.config.cjs); import+init median of ${IMPORT_RUNS} fresh Node processes; ${CONCURRENT} and ${LOAD} concurrent signed /keys stale 90 from a separate process to the local server (embedded sandbox, in-memory dynalite, fake Slack, worker in-process)`,
    rows: [
      {
        measure: 'slack-events bundle',
        value: kb(slackEvents),
        goal: '≤ 1 500 KB',
        met: slackEvents <= 1_500 * 1024,
      },
      { measure: 'worker bundle', value: kb(sizes.worker ?? 0), goal: '' },
      { measure: 'digest bundle', value: kb(sizes.digest ?? 0), goal: '' },
      {
        measure: 'slack-events import+init (median)',
        value: ms(importMedian),
        goal: '≤ 150 ms',
        met: importMedian <= 150,
      },
      { measure: `acknowledgement p50 (${CONCURRENT} concurrent)`, value: ms(p50), goal: '' },
      {
        measure: `acknowledgement p99 (${CONCURRENT} concurrent)`,
        value: ms(p99),
        goal: '≤ 150 ms',
        met: p99 <= 150,
      },
      {
        measure: 'commands answered exactly once',
        value: `${answered} of ${CONCURRENT}`,
        goal: `${CONCURRENT} of ${CONCURRENT}`,
        met: answered === CONCURRENT,
      },
      { measure: `acknowledgement p50 (${LOAD} concurrent)`, value: ms(percentile(big.ackMs, 50)), goal: '' },
      {
        measure: `acknowledgement p99 (${LOAD} concurrent)`,
        value: ms(percentile(big.ackMs, 99)),
        goal: 'reported',
      },
      {
        measure: `${LOAD} commands answered exactly once`,
        value: `${big.answered} of ${LOAD}`,
        goal: `${LOAD} of ${LOAD}`,
        met: big.answered === LOAD,
      },
    ],
  };
}
