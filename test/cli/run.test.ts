import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdmelonSandbox, startIdmelonSandbox } from '../../sandbox/idmelon/index.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from '../../src/cli/run.js';
import type { LookupReport } from '../../src/services/lookup.js';
import type { StaleReport } from '../../src/services/stale.js';
import { bidiOrInvisible } from '../helpers/hostile-text.js';
import { clock, NOW } from '../helpers/idmelon.js';

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env,
    clock,
  });
  return { code, stdout, stderr };
}

describe('keywarden CLI', () => {
  let sandbox: IdmelonSandbox;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    sandbox = await startIdmelonSandbox({ now: NOW, apiKey: 'cli-test-key-0123456789' });
    env = { IDMELON_BASE_URL: sandbox.url, IDMELON_API_KEY: sandbox.apiKey };
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('prints every stale key with its id under --json', async () => {
    const { code, stdout, stderr } = await cli(['keys', 'stale', '90', '--vendor', 'idmelon', '--json'], env);
    expect(code).toBe(EXIT_OK);
    expect(stderr).toBe('');
    const report = JSON.parse(stdout) as StaleReport;
    const cutoff = NOW.getTime() - 90 * 86_400_000;
    const want = sandbox.workspace.keys.filter(
      (k) => k.status === 20 && (k.lastActivityAt === null || Date.parse(k.lastActivityAt) < cutoff),
    );
    const got = [...(report.sections[0]?.stale ?? []), ...(report.sections[0]?.neverUsed ?? [])];
    expect(got.map((k) => k.id).sort()).toEqual(want.map((k) => k._id).sort());
  });

  it('prints a readable table with counts, and takes --type', async () => {
    const { code, stdout } = await cli(['keys', 'stale', '90', '--type', 'badge'], env);
    expect(code).toBe(EXIT_OK);
    expect(stdout).toMatch(/^IDmelon: keys of type badge unused for 90\+ days \(since 2026-08-25\)/);
    expect(stdout).toMatch(
      /\d+ stale keys, \d+ never-used keys \(badge \d+\); oldest last used \d+ days ago/,
    );
    expect(stdout).toContain('Name');
    expect(stdout).not.toMatch(/\bphone\b/);
  });

  it('looks a user up by email', async () => {
    const { code, stdout } = await cli(['user', 'lookup', 'alice@acme.example'], env);
    expect(code).toBe(EXIT_OK);
    expect(stdout).toContain('IDmelon: Alice Anders <alice@acme.example>');
    expect(stdout).toMatch(/Security keys \(\d+\):/);
    expect(stdout).toContain('213 days ago');
  });

  it.each([
    [['keys', 'stale', 'abc'], 'days must be a whole number from 1 to 3650 (got "abc")'],
    [['keys', 'stale', '-3'], 'days must be a whole number from 1 to 3650 (got "-3")'],
    [['keys', 'stale', '99999'], 'days must be a whole number from 1 to 3650 (got "99999")'],
    [['keys', 'rotate'], 'unknown subcommand "rotate"'],
    [['frob'], 'unknown command "frob"'],
    [['keys', 'stale', '90', '--colour'], 'unknown option "--colour"'],
  ])('refuses %j with one line naming the problem, the usage, and exit code 2', async (argv, problem) => {
    const { code, stdout, stderr } = await cli(argv, env);
    expect(code).toBe(EXIT_USAGE);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe(`keywarden: ${problem}`);
    expect(stderr).toContain('Usage:');
  });

  it('turns a vendor failure into one line and exit code 1, without a stack trace', async () => {
    sandbox.inject({ fault: { kind: 'status', status: 500 }, times: 4 });
    const { code, stdout, stderr } = await cli(['keys', 'stale', '90', 'idmelon'], env);
    expect(code).toBe(EXIT_FAILED);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'keywarden: IDmelon: IDmelon is failing (server error) after 4 attempts. Try again later.\n',
    );
  });

  it('says plainly when the API key is refused, never printing it', async () => {
    const { code, stderr } = await cli(['user', 'lookup', 'alice@acme.example'], {
      ...env,
      IDMELON_API_KEY: 'wrong-key-987654321',
    });
    expect(code).toBe(EXIT_FAILED);
    expect(stderr).toContain("refused Keywarden's credential (401)");
    expect(stderr).not.toContain('wrong-key-987654321');
  });

  it.each([
    [['user', 'lookup', 'alice@acme.example']],
    [['user', 'lookup', 'alice@acme.example', '--json']],
    [['keys', 'stale', '90', 'idmelon', '--json']],
    [['keys', 'stale', '90', 'idmelon', '--debug']],
  ])('never prints an API key that the vendor echoes in an error (%j)', async (argv) => {
    // IDmelon quoting the request back: the Authorization header, in a message far longer than a line.
    sandbox.inject({
      fault: {
        kind: 'status',
        status: 400,
        body: { message: `Rejected request with Authorization: ${sandbox.apiKey}\n${'detail '.repeat(500)}` },
      },
    });
    try {
      const { code, stdout, stderr } = await cli(argv, env);
      expect(code).toBe(EXIT_FAILED);
      expect(stdout + stderr).not.toContain(sandbox.apiKey);
      expect(stderr).toContain(
        'IDmelon rejected the request as invalid (400): Rejected request with Authorization: [redacted] detail',
      );
      const line = stderr.split('\n').find((l) => l.startsWith('keywarden: IDmelon:')) ?? '';
      expect(line.length).toBeLessThan(400);
    } finally {
      sandbox.server.clearFaults();
    }
  });

  it('starts the embedded sandbox when IDmelon is not configured, and says so on stderr', async () => {
    const { code, stdout, stderr } = await cli(['keys', 'stale', '90'], {});
    expect(code).toBe(EXIT_OK);
    expect(stderr).toMatch(/using the embedded sandbox at http:\/\/127\.0\.0\.1:\d+/);
    expect(stdout).toContain('IDmelon: keys unused for 90+ days');
  });

  it('reports a configuration problem by variable name', async () => {
    const { code, stderr } = await cli(['keys', 'stale', '90'], { IDMELON_BASE_URL: 'ftp://x' });
    expect(code).toBe(EXIT_FAILED);
    expect(stderr).toBe('keywarden: Configuration problem: IDMELON_BASE_URL must be an http(s) URL\n');
  });
});

describe('keywarden CLI with hostile vendor strings', () => {
  // Key and person names an attacker with a vendor account could set: clear the screen and retitle the window,
  // a one-character C1 CSI, a right-to-left override.
  const CLEAR_AND_RETITLE = '\u001b[2J\u001b]0;pwned\u0007evil';
  const C1_CSI = '\u009b31mred';
  const RLO_NAME = 'Alice \u202egnp.exe';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
  let sandbox: IdmelonSandbox;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    sandbox = await startIdmelonSandbox({ now: NOW, users: 50, keys: 150, logs: 200 });
    env = { IDMELON_BASE_URL: sandbox.url, IDMELON_API_KEY: sandbox.apiKey };
    const [, badge, desktop] = sandbox.workspace.keys;
    const alice = sandbox.workspace.users[0];
    if (!badge || !desktop || !alice) throw new Error('the sandbox always has Alice and her three keys');
    // Alice's badge was last used 213 days ago and her desktop key never: both are on every stale list.
    badge.name = CLEAR_AND_RETITLE;
    desktop.name = C1_CSI;
    alice.name = RLO_NAME;
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it.each([[['keys', 'stale', '90']], [['user', 'lookup', 'alice@acme.example']]])(
    'prints %j with no ESC, BEL, C1 or bidi character, and the names still readable',
    async (argv) => {
      const { code, stdout, stderr } = await cli(argv, env);
      expect(code).toBe(EXIT_OK);
      expect(`${stdout}${stderr}`).not.toMatch(TERMINAL_CONTROL);
      expect(stdout).not.toMatch(bidiOrInvisible);
      expect(stdout).toMatch(/^evil /m);
      expect(stdout).toMatch(/^red /m);
      expect(stdout).not.toContain('pwned');
    },
  );

  it('keeps the exact names under --json, with every control written as a \\u escape', async () => {
    const { code, stdout } = await cli(['user', 'lookup', 'alice@acme.example', '--json'], env);
    expect(code).toBe(EXIT_OK);
    expect(stdout.replace(/\n/g, '')).not.toMatch(TERMINAL_CONTROL);
    expect(stdout).not.toMatch(bidiOrInvisible);
    expect(stdout).toContain('\\u001b[2J\\u001b]0;pwned\\u0007evil');
    expect(stdout).toContain('\\u009b31mred');
    const report = JSON.parse(stdout) as LookupReport;
    const found = report.results[0];
    if (found?.kind !== 'found') throw new Error(`expected a found user, got ${found?.kind}`);
    expect(found.profile.user.name).toBe(RLO_NAME);
    expect(found.profile.keys.map((k) => k.name)).toEqual(
      expect.arrayContaining([CLEAR_AND_RETITLE, C1_CSI]),
    );
  });

  it('prints a vendor error message on stderr without its escape sequences', async () => {
    sandbox.inject({
      fault: { kind: 'status', status: 400, body: { message: `bad ${CLEAR_AND_RETITLE} ${C1_CSI}` } },
      times: 1,
    });
    const { code, stderr } = await cli(['keys', 'stale', '90'], env);
    expect(code).toBe(EXIT_FAILED);
    expect(stderr).not.toMatch(TERMINAL_CONTROL);
    expect(stderr).toMatch(/rejected the request as invalid \(400\): bad evil red\n$/);
  });
});

describe('the installed keywarden command', () => {
  const run = promisify(execFile);
  const bin = new URL('../../bin/keywarden.js', import.meta.url).pathname;

  it('exits 2 on bad arguments', async () => {
    const err = await run(process.execPath, [bin, 'keys', 'stale', 'abc']).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toMatch(/^keywarden: days must be a whole number/);
  });

  it('prints the stale keys of the embedded sandbox', async () => {
    const { stdout, stderr } = await run(process.execPath, [bin, 'keys', 'stale', '90'], {
      env: { PATH: process.env.PATH },
    });
    expect(stderr).toContain('embedded sandbox');
    expect(stdout).toMatch(/^SANDBOX DATA \(not your vendors\): IDmelon, TryMellon, Solvimon\./);
    expect(stdout).toMatch(/\nIDmelon: keys unused for 90\+ days/);
  });
});

describe('keywarden slack (the local bot without Slack)', () => {
  it('sends a signed slash command to the local bot and prints the acknowledgement and the answer', async () => {
    const { runTrySlack } = await import('../../src/cli/try-slack.js');
    let stdout = '';
    const code = await runTrySlack('/user lookup alice@acme.example', {
      stdout: (t) => {
        stdout += t;
      },
      stderr: () => {},
      env: {},
      clock,
    });
    expect(code).toBe(0);
    expect(stdout).toContain('Acknowledged (HTTP 200):');
    // As Slack shows it: the email literal, its dot a one-dot leader so it is not a mailto link.
    expect(stdout).toContain('Looking up alice@acme\u2024example');
    expect(stdout).toContain('Answer (through response_url):');
    expect(stdout).toContain('*IDmelon*: *Alice Anders*');
  });
});
