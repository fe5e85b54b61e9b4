import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type ParseResult, parseKeysCommand, parseUserCommand } from '../commands/grammar.js';
import { type LocalConfig, loadLocalConfig } from '../composition/config.js';
import { policyFilePath } from '../composition/policies.js';
import { withInventory } from '../composition/providers.js';
import { loadPolicyFile, PolicyFileError } from '../config/policies.js';
import { loadSettings } from '../config/settings.js';
import { type Clock, systemClock } from '../domain/clock.js';
import type { InventorySource, InventoryStore } from '../domain/inventory.js';
import type { Progress, VendorId } from '../domain/provider.js';
import type { VendorCatalog } from '../domain/vendors.js';
import { digestText } from '../features/digest/blocks.js';
import { planLines } from '../features/policy/blocks.js';
import { staleRows } from '../features/stale/blocks.js';
import { keysCsv } from '../features/stale/csv.js';
import { userMessage } from '../http/errors.js';
import { type Transport, undiciTransport } from '../http/transport.js';
import type { LocalBot } from '../local/bot.js';
import { startLocalVendors } from '../local/vendors.js';
import { jsonLogger, type Redactor, SecretRedactor } from '../log.js';
import { VENDORS, type VendorRegistry } from '../providers/registry.js';
import { buildDigest, digestIsEmpty } from '../services/digest.js';
import { lookupUser } from '../services/lookup.js';
import { runSummary } from '../services/policy.js';
import { scanStaleKeys } from '../services/stale.js';
import { escapeJsonForTerminal, terminalLines } from '../util/text-safety.js';
import { runAuditExport, runAuditVerify } from './audit.js';
import { startCommandBot } from './command-bot.js';
import { clean, formatLookupReport, formatStaleReport } from './format.js';
import { runInventoryStatus, runInventorySyncNow } from './inventory.js';
import { runJobsCommand } from './jobs.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  clock?: Clock;
  transport?: Transport;
  /** Whether stderr is a terminal (progress is redrawn in place). */
  interactive?: boolean;
  /** The vendors (tests add one). @default the registry */
  registry?: VendorRegistry;
  /** Where relative paths start. @default process.cwd() */
  cwd?: string;
  /** Where `policy run` keeps its state; null keeps it in memory (tests). @default .keywarden/dynamodb */
  dataDir?: string | null;
  /**
   * The inventory `keys stale` and `user lookup` read while it is fresh enough (KEYWARDEN_INVENTORY_MAX_AGE);
   * without one they ask the vendors.
   */
  inventory?: InventoryStore;
  /** How `inventory sync` reads each vendor, given the local bot (tests pass one over its sandbox). */
  inventorySources?: (bot: LocalBot) => Promise<InventorySource[]>;
}

/**
 * `--json`: the report exactly as Keywarden holds it, for jq and scripts. `JSON.stringify` already writes C0
 * controls (ESC, BEL) as `\u` escapes; `escapeJsonForTerminal` does the same for DEL, C1 and bidi characters,
 * so piping it to a terminal is as safe as the table, and the parsed value is unchanged.
 */
function jsonOut(value: unknown): string {
  return `${escapeJsonForTerminal(JSON.stringify(value, null, 2))}\n`;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export function cliUsage(vendors: VendorCatalog): string {
  return [
    'Usage:',
    `  keywarden keys stale <days> [--type ${vendors.keyTypes.join('|')}] [--vendor ${vendors.ids.join('|')}] [--live] [--json]`,
    '  keywarden user lookup <email|id|name> [--live] [--json]',
    '  keywarden digest [--json]               the weekly digest for the last 7 full days',
    '  keywarden slack "/keys stale 90"      a slash command through the local bot, without Slack',
    '  keywarden slack --home [USER] [--email EMAIL]   what the App Home would show that person, without Slack',
    '  keywarden policy check [--file PATH] [--json]   checks the policy file (KEYWARDEN_POLICIES_FILE)',
    '  keywarden policy run [--dry-run] [--policy NAME]   runs the policies now and prints the plan and what it did',
    '  keywarden jobs dlq | redrive           what failed on every attempt, and sending it back',
    `  keywarden inventory sync [--vendor ${vendors.ids.join('|')}] [--json]   a full sync of the inventory, here and now`,
    "  keywarden inventory status [--json]   each vendor's inventory: generation, when synced, counts, a build under way",
    '  keywarden audit verify [--from SEQ] [--witness SEQ:HASH] [--file FILE]   checks the audit chain',
    '  keywarden audit export [--since DATE] [--format jsonl|csv]   the audit trail for an auditor',
    '  keywarden help',
    'Options: --json prints the structured result (each vendor with "source": "sandbox" or "vendor"); --csv the keys',
    '  as CSV; --live asks the vendors even when the inventory could answer; --no-sandbox refuses to use an embedded',
    '  sandbox; --debug shows stack traces and debug logs; --version prints the version.',
  ].join('\n');
}

/** Options that take a value (`--type phone` or `--type=phone`), with what to say when it is missing. */
const VALUE_OPTIONS = {
  type: (vendors: VendorCatalog) => `--type needs a value (${vendors.keyTypes.join(', ')})`,
  vendor: (vendors: VendorCatalog) => `--vendor needs a value (${vendors.ids.join(', ')})`,
  file: () => '--file needs a path',
  policy: () => '--policy needs a policy name',
  from: () => '--from needs a sequence number',
  witness: () => '--witness needs SEQ:HASH',
  since: () => '--since needs a date',
  format: () => '--format needs jsonl or csv',
} as const;
type ValueOption = keyof typeof VALUE_OPTIONS;

type Flags = {
  json: boolean;
  csv: boolean;
  debug: boolean;
  dryRun: boolean;
  live: boolean;
  noSandbox: boolean;
  version: boolean;
  words: string[];
} & Partial<Record<ValueOption, string>>;

const ARGS = {
  json: { type: 'boolean' },
  csv: { type: 'boolean' },
  debug: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  live: { type: 'boolean' },
  'no-sandbox': { type: 'boolean' },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  type: { type: 'string' },
  vendor: { type: 'string' },
  file: { type: 'string' },
  policy: { type: 'string' },
  from: { type: 'string' },
  witness: { type: 'string' },
  since: { type: 'string' },
  format: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const NEGATIVE = '\u0000';

/**
 * The command line, read with `node:util` parseArgs (strict: an unknown option is a usage error, not ignored). Its
 * own messages are replaced by ones that say what the option needs.
 */
function parseFlags(argv: string[], vendors: VendorCatalog): Flags | string {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof ARGS; allowPositionals: true; strict: true }>>;
  try {
    // A negative number ("keys stale -3") is an argument, not a short option: it is refused by the grammar as a
    // number out of range, with the number named.
    const args = argv.map((a) => (/^-\d/.test(a) ? `${NEGATIVE}${a}` : a));
    parsed = parseArgs({ args, options: ARGS, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message = (err as Error).message;
    const option = /'(-{1,2}[\w-]+)/.exec(message)?.[1] ?? /(--?[\w-]+)/.exec(message)?.[1] ?? '';
    const name = option.replace(/^-+/, '') as ValueOption;
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && name in VALUE_OPTIONS)
      return VALUE_OPTIONS[name](vendors);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${JSON.stringify(option)}`;
    return message;
  }
  const v = parsed.values;
  for (const name of Object.keys(VALUE_OPTIONS) as ValueOption[])
    if (v[name] === '') return VALUE_OPTIONS[name](vendors);
  const words = parsed.positionals.map((w) => (w.startsWith(NEGATIVE) ? w.slice(NEGATIVE.length) : w));
  if (v.help) words.unshift('help');
  return {
    json: v.json ?? false,
    csv: v.csv ?? false,
    debug: v.debug ?? false,
    dryRun: v['dry-run'] ?? false,
    live: v.live ?? false,
    noSandbox: v['no-sandbox'] ?? false,
    version: v.version ?? false,
    words,
    type: v.type,
    vendor: v.vendor,
    file: v.file,
    policy: v.policy,
    from: v.from,
    witness: v.witness,
    since: v.since,
    format: v.format,
  };
}

/**
 * Progress on stderr for scans that take longer than a second: redrawn in place on a terminal, otherwise a line
 * every few seconds.
 */
function progressReporter(io: CliIo, clock: Clock) {
  const started = clock.now().getTime();
  let lastLine = 0;
  let drawn = false;
  return {
    report(vendor: VendorId, p: Progress) {
      const now = clock.now().getTime();
      if (now - started < 1000) return;
      if (!io.interactive && now - lastLine < 3000) return;
      lastLine = now;
      const of = p.total === undefined ? '' : ` of ${p.total.toLocaleString('en-US')}`;
      const text = `${vendor}: ${p.phase} ${p.done.toLocaleString('en-US')}${of} (${p.requests} requests)`;
      if (io.interactive) {
        io.stderr(`\r${text.padEnd(70)}`);
        drawn = true;
      } else io.stderr(`${text}\n`);
    },
    done() {
      if (drawn) io.stderr(`\r${' '.repeat(70)}\r`);
    },
  };
}

/**
 * The same io with every line passed through `redactor` first: whatever a command prints (a report, --json, a
 * vendor's error sentence) leaves the process only this way.
 */
export function redactingIo(io: CliIo, redactor: Redactor): CliIo {
  return {
    ...io,
    stdout: (text) => io.stdout(redactor.redact(text)),
    stderr: (text) => io.stderr(redactor.redact(text)),
  };
}

/** Keywarden's version, from its package.json. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? 'unknown';
}

export async function runCli(argv: string[], terminal: CliIo): Promise<number> {
  // Filled with the configured credentials below, and with each sandbox's and each token as they appear.
  const redactor = new SecretRedactor();
  const io = redactingIo(terminal, redactor);
  const registry = io.registry ?? VENDORS;
  const CLI_USAGE = cliUsage(registry);
  const flags = parseFlags(argv, registry);
  const usageFail = (problem: string, usage = CLI_USAGE) => {
    io.stderr(`keywarden: ${problem}\n${usage}\n`);
    return EXIT_USAGE;
  };
  if (typeof flags === 'string') return usageFail(flags);
  if (flags.version) {
    io.stdout(`keywarden ${packageVersion()}\n`);
    return EXIT_OK;
  }
  if (flags.csv && flags.json)
    return usageFail('--csv and --json are two ways to print the same thing; pick one');
  const [group, ...rest] = flags.words;
  if (flags.live && group !== 'keys' && group !== 'user')
    return usageFail('--live applies to "keys stale" and "user lookup" only');
  if (group === 'audit') {
    try {
      if (rest[0] === 'verify' && rest.length === 1)
        return await runAuditVerify(
          { stdout: io.stdout, env: io.env, dataDir: io.dataDir },
          { from: flags.from, witness: flags.witness, file: flags.file },
        );
      if (rest[0] === 'export' && rest.length === 1)
        return await runAuditExport(
          { stdout: io.stdout, env: io.env, dataDir: io.dataDir },
          { since: flags.since, format: flags.format ?? (flags.csv ? 'csv' : 'jsonl') },
        );
    } catch (err) {
      io.stderr(`keywarden: ${clean(userMessage(err))}\n`);
      return EXIT_FAILED;
    }
    return usageFail(
      'audit takes verify [--from SEQ] [--witness SEQ:HASH] [--file FILE] or export [--since DATE] [--format jsonl|csv]',
    );
  }
  if (group === 'inventory') {
    const [sub, ...extra] = rest;
    if ((sub !== 'sync' && sub !== 'status') || extra.length > 0)
      return usageFail('inventory takes sync [--vendor V] (a full sync now) or status');
    if (flags.vendor && !registry.ids.includes(flags.vendor))
      return usageFail(`unknown vendor ${JSON.stringify(flags.vendor)} (${registry.ids.join(', ')})`);
    const inventoryIo = {
      stdout: io.stdout,
      stderr: io.stderr,
      env: io.env,
      dataDir: io.dataDir,
      clock: io.clock,
      transport: io.transport,
      registry,
      debug: flags.debug,
      inventorySources: io.inventorySources,
    };
    try {
      return sub === 'sync'
        ? await runInventorySyncNow(inventoryIo, flags.vendor, flags.json)
        : await runInventoryStatus(inventoryIo, flags.vendor, flags.json);
    } catch (err) {
      io.stderr(`keywarden: ${clean(userMessage(err))}\n`);
      return EXIT_FAILED;
    }
  }
  if (group === 'jobs') {
    if ((rest[0] !== 'dlq' && rest[0] !== 'redrive') || rest.length > 1)
      return usageFail('jobs takes dlq (list what failed on every attempt) or redrive (send it back)');
    try {
      return await runJobsCommand(rest[0], { stdout: io.stdout, env: io.env, dataDir: io.dataDir });
    } catch (err) {
      io.stderr(`keywarden: ${clean(userMessage(err))}\n`);
      return EXIT_FAILED;
    }
  }
  let parsed: ParseResult;
  if (group === undefined || group === 'help') {
    io.stdout(`${CLI_USAGE}\n`);
    return EXIT_OK;
  }
  const fileOnlyForPolicy = () => usageFail('--file applies to "policy check" only');
  if (group === 'policy') {
    if (flags.type || flags.vendor) return usageFail('--type and --vendor apply to "keys stale" only');
    const outcome = await runPolicyCommand(rest, flags, io, registry);
    return typeof outcome === 'string' ? usageFail(outcome) : outcome;
  } else if (group === 'digest') {
    if (flags.file) return fileOnlyForPolicy();
    parsed = parseKeysCommand(['digest', ...rest].join(' '), registry);
  } else if (group === 'keys') {
    if (flags.file) return fileOnlyForPolicy();
    parsed = parseKeysCommand(
      [...rest, ...(flags.type ? [flags.type] : []), ...(flags.vendor ? [flags.vendor] : [])].join(' '),
      registry,
    );
  } else if (group === 'user') {
    if (flags.type || flags.vendor) return usageFail('--type and --vendor apply to "keys stale" only');
    if (flags.file) return fileOnlyForPolicy();
    parsed = parseUserCommand(rest.join(' '));
  } else {
    return usageFail(`unknown command ${JSON.stringify(group)}`);
  }
  if (!parsed.ok) return usageFail(parsed.problem);
  const command = parsed.command;
  if (command.kind === 'keys.help' || command.kind === 'user.help') {
    io.stdout(`${CLI_USAGE}\n`);
    return EXIT_OK;
  }
  if (command.kind === 'keys.audit')
    return usageFail(
      '"keys audit" is a Slack command; here use "keywarden audit export" or "keywarden audit verify"',
    );
  if (command.kind === 'keys.policy' || command.kind === 'keys.exempt' || command.kind === 'keys.exemptions')
    return usageFail(`"keys ${rest[0]}" is a Slack command; here use "keywarden policy run --dry-run"`);

  let config: LocalConfig;
  try {
    config = loadLocalConfig(io.env, registry);
  } catch (err) {
    io.stderr(`keywarden: ${clean(userMessage(err))}\n`);
    return EXIT_FAILED;
  }
  const { settings } = config;
  redactor.add(...config.vendors.secrets);
  const logger = jsonLogger({
    level: flags.debug ? 'debug' : 'error',
    redactor,
    // Log records quote vendor data, and JSON.stringify leaves C1 and bidi characters raw.
    write: (line) => (flags.debug ? io.stderr(`${escapeJsonForTerminal(line)}\n`) : undefined),
  });
  const ownTransport = io.transport ? undefined : undiciTransport();
  const transport = io.transport ?? (ownTransport as Transport);
  const clock = io.clock ?? systemClock;
  const vendors = await startLocalVendors(config.vendors, {
    transport,
    logger,
    redactor,
    requestTimeoutMs: settings.httpTimeoutMs,
    now: clock.now(),
    // A scan of one vendor starts only that vendor's sandbox.
    only: command.kind === 'keys.stale' && command.vendor ? [command.vendor] : undefined,
    requireReal: settings.requireReal || flags.noSandbox,
  }).catch((err: unknown) => err as Error);
  if (vendors instanceof Error) {
    await ownTransport?.close();
    io.stderr(`keywarden: ${clean(userMessage(vendors))}\n`);
    return EXIT_FAILED;
  }
  // Sandbox data is never taken for real data: said first on stdout, and per vendor in --json.
  const sandboxed = new Set(Object.keys(vendors.sandboxes));
  const source = (vendor: string) => (sandboxed.has(vendor) ? 'sandbox' : 'vendor');
  const sandboxLine = () => {
    if (flags.json || flags.csv || sandboxed.size === 0) return '';
    const labels = vendors.providers.filter((p) => sandboxed.has(p.vendor)).map((p) => p.label);
    return labels.length
      ? `SANDBOX DATA (not your vendors): ${labels.join(', ')}. Set their credentials, or use --no-sandbox to refuse.\n\n`
      : '';
  };
  for (const note of vendors.notes) io.stderr(`${note}\n`);
  const progress = progressReporter(io, clock);
  try {
    const live = flags.live || ('live' in command && command.live === true);
    const read = withInventory(vendors.providers, {
      inventory: io.inventory,
      maxAgeMs: settings.inventoryMaxAgeMs,
      clock,
      logger,
    });
    if (command.kind === 'keys.stale') {
      const providers = read.filter((p) => !command.vendor || p.vendor === command.vendor);
      const report = await scanStaleKeys(providers, {
        days: command.days,
        type: command.type,
        clock,
        logger,
        onProgress: progress.report,
        live,
      });
      progress.done();
      const failed = report.sections.filter((s) => s.failure);
      // When every vendor failed there is nothing to show but the reason: one line on stderr.
      if (flags.json || flags.csv || failed.length < report.sections.length) {
        const sections = report.sections.map((x) => ({ ...x, source: source(x.vendor) }));
        if (flags.json) io.stdout(jsonOut({ ...report, sections }));
        else if (flags.csv)
          // CSV reaches a terminal too: control and bidi characters are escaped as for --json.
          io.stdout(escapeJsonForTerminal(keysCsv(staleRows(report), new Date(report.generatedAt))));
        else io.stdout(sandboxLine() + formatStaleReport(report, settings.timeZone));
      }
      for (const s of failed) io.stderr(`keywarden: ${s.label}: ${clean(s.failure?.message)}\n`);
      return failed.length ? EXIT_FAILED : EXIT_OK;
    }
    if (command.kind === 'keys.digest') {
      const report = await buildDigest(vendors.providers, {
        clock,
        timeZone: settings.timeZone,
        staleDays: settings.staleDays,
        logger,
      });
      progress.done();
      if (flags.csv) return usageFail('--csv applies to "keys stale" and "user lookup"');
      io.stdout(
        flags.json
          ? jsonOut({ ...report, sections: report.sections.map((x) => ({ ...x, source: source(x.vendor) })) })
          : sandboxLine() + digestText(report),
      );
      return digestIsEmpty(report) ? EXIT_FAILED : EXIT_OK;
    }
    const report = await lookupUser(read, command.query, {
      logger,
      onProgress: progress.report,
      live,
    });
    progress.done();
    const failed = report.results.filter((r) => r.kind === 'failed');
    if (flags.json || flags.csv || failed.length < report.results.length) {
      if (flags.json)
        io.stdout(
          jsonOut({ ...report, results: report.results.map((x) => ({ ...x, source: source(x.vendor) })) }),
        );
      else if (flags.csv) {
        const keys = report.results.flatMap((x) => (x.kind === 'found' ? x.profile.keys : []));
        io.stdout(escapeJsonForTerminal(keysCsv(keys, clock.now())));
      } else io.stdout(sandboxLine() + formatLookupReport(report, clock.now(), settings.timeZone));
    }
    for (const r of failed)
      if (r.kind === 'failed') io.stderr(`keywarden: ${r.label}: ${clean(r.failure.message)}\n`);
    return failed.length ? EXIT_FAILED : EXIT_OK;
  } catch (err) {
    progress.done();
    io.stderr(`keywarden: ${clean(userMessage(err))}\n`);
    if (flags.debug && err instanceof Error && err.stack) io.stderr(`${terminalLines(err.stack)}\n`);
    return EXIT_FAILED;
  } finally {
    await vendors.close();
    await ownTransport?.close();
  }
}

/**
 * `keywarden policy <subcommand>`: an exit code, or a usage problem. `check` validates the policy file and lists its
 * policies; a refused file prints each problem on its own line (`file:line field: message`).
 */
/**
 * `keywarden policy run`: the same run as the daily schedule, on this machine's store (`.keywarden/`), talking to the
 * configured vendors (or their sandboxes) and Slack (when SLACK_BOT_TOKEN is set). `--dry-run` writes and sends
 * nothing, and says so.
 */
async function runPoliciesNow(flags: Flags, io: CliIo, registry: VendorRegistry): Promise<number> {
  let bot: LocalBot | undefined;
  try {
    bot = await startCommandBot(io, { registry, debug: flags.debug });
    for (const note of bot.notes.filter((n) => !/KEYWARDEN_ADMINS|APPROVERS/.test(n))) io.stderr(`${note}\n`);
    const results = await bot.runPolicies({ policy: flags.policy, dryRun: flags.dryRun });
    const labels = (vendor: string) => registry.label(vendor);
    if (flags.json) io.stdout(jsonOut(results.map(runSummary)));
    else for (const r of results) io.stdout(`${terminalLines(planLines(r, labels).join('\n'))}\n`);
    await bot.queue.idle();
    return results.some((r) => r.plan.failures.length) ? EXIT_FAILED : EXIT_OK;
  } catch (err) {
    if (err instanceof PolicyFileError)
      for (const line of err.message.split('\n')) io.stderr(`${clean(line)}\n`);
    else io.stderr(`keywarden: ${clean(userMessage(err))}\n`);
    if (flags.debug && err instanceof Error && err.stack) io.stderr(`${terminalLines(err.stack)}\n`);
    return EXIT_FAILED;
  } finally {
    await bot?.close();
  }
}

async function runPolicyCommand(
  words: string[],
  flags: Flags,
  io: CliIo,
  registry: VendorRegistry,
): Promise<number | string> {
  const [subcommand, ...extra] = words;
  if (subcommand === undefined || subcommand === 'help') {
    io.stdout(`${cliUsage(registry)}\n`);
    return EXIT_OK;
  }
  if (subcommand === 'run') {
    if (extra.length > 0) return `unexpected ${JSON.stringify(extra[0])} after "policy run"`;
    return runPoliciesNow(flags, io, registry);
  }
  if (subcommand !== 'check') return `unknown subcommand ${JSON.stringify(subcommand)}`;
  if (extra.length > 0) return `unexpected ${JSON.stringify(extra[0])} after "policy check"`;
  try {
    const file = policyFilePath(flags.file ?? loadSettings(io.env).policiesFile, {
      cwd: io.cwd ?? process.cwd(),
      given: flags.file !== undefined,
    });
    const policies = loadPolicyFile(file.path, registry, { name: file.name });
    if (flags.json) io.stdout(jsonOut(policies));
    else {
      const names = policies.map((p) => p.name).join(', ');
      const count = `${policies.length} ${policies.length === 1 ? 'policy' : 'policies'}`;
      io.stdout(`ok: ${count}${names ? ` (${names})` : ''}\n`);
    }
    return EXIT_OK;
  } catch (err) {
    if (err instanceof PolicyFileError) {
      const located = err.problems.filter((p) => p.line !== undefined).length;
      for (const line of err.message.split('\n')) {
        io.stderr(`${located > 0 ? '' : 'keywarden: '}${clean(line)}\n`);
      }
      if (located > 0) {
        const problems = `${located} ${located === 1 ? 'problem' : 'problems'}`;
        io.stderr(`keywarden: ${clean(err.file)} refused (${problems}); no policy was loaded\n`);
      }
    } else {
      io.stderr(`keywarden: ${clean(userMessage(err))}\n`);
      if (flags.debug && err instanceof Error && err.stack) io.stderr(`${terminalLines(err.stack)}\n`);
    }
    return EXIT_FAILED;
  }
}
