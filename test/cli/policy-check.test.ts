import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from '../../src/cli/run.js';
import type { Policy } from '../../src/domain/policy.js';

const GOOD = `policies:
  - name: idle-keys
    vendors: [idmelon]
    idle_days: 90
  - name: idle-passkeys
    types: [passkey]
    idle_days: 180
`;

const BAD = `policies:
  - name: idle-keys
    idle_days: 0
    exlude:
      owners: [ceo@acme.example]
  - name: idle-keys
    idle_days: 30
`;

const BAD_PROBLEMS = [
  'bad.yml:3 idle_days: expected a whole number from 1 to 3650',
  'bad.yml:4 exlude: unknown field (did you mean exclude?)',
  'bad.yml:6 name: "idle-keys" is already the name of the policy at line 2',
];

describe('keywarden policy check', () => {
  let dir: string;
  /** A directory with no infra/ of its own. */
  let empty: string;

  async function cli(argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      env: options.env ?? {},
      cwd: options.cwd ?? dir,
    });
    return { code, stdout, stderr };
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'keywarden-policy-'));
    empty = mkdtempSync(join(tmpdir(), 'keywarden-policy-empty-'));
    writeFileSync(join(dir, 'good.yml'), GOOD);
    writeFileSync(join(dir, 'bad.yml'), BAD);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  it('accepts a good file: the policies by name on stdout, exit code 0', async () => {
    const { code, stdout, stderr } = await cli(['policy', 'check', '--file', 'good.yml']);
    expect(code).toBe(EXIT_OK);
    expect(stdout).toBe('ok: 2 policies (idle-keys, idle-passkeys)\n');
    expect(stderr).toBe('');
  });

  it('takes --file=PATH and an absolute path', async () => {
    const { code, stdout } = await cli(['policy', 'check', `--file=${join(dir, 'good.yml')}`], {
      cwd: empty,
    });
    expect(code).toBe(EXIT_OK);
    expect(stdout).toContain('ok: 2 policies');
  });

  it('refuses a bad file: each problem as file:line field: message on stderr, exit code 1, no stack trace', async () => {
    const { code, stdout, stderr } = await cli(['policy', 'check', '--file', 'bad.yml']);
    expect(code).toBe(EXIT_FAILED);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toEqual([
      ...BAD_PROBLEMS,
      'keywarden: bad.yml refused (3 problems); no policy was loaded',
      '',
    ]);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('prints the policies with every default filled in under --json', async () => {
    const { code, stdout } = await cli(['policy', 'check', '--file', 'good.yml', '--json']);
    expect(code).toBe(EXIT_OK);
    const policies = JSON.parse(stdout) as Policy[];
    expect(policies.map((p) => [p.name, p.graceDays, p.then, p.neverUsedGraceDays])).toEqual([
      ['idle-keys', 14, 'report', 90],
      ['idle-passkeys', 14, 'report', 180],
    ]);
  });

  it('says in one line that the file does not exist, naming it', async () => {
    const { code, stderr } = await cli(['policy', 'check', '--file', 'missing.yml']);
    expect(code).toBe(EXIT_FAILED);
    expect(stderr).toBe('keywarden: the policy file missing.yml does not exist\n');
  });

  it('reads KEYWARDEN_POLICIES_FILE, relative to the working directory', async () => {
    const { code, stdout } = await cli(['policy', 'check'], { env: { KEYWARDEN_POLICIES_FILE: 'good.yml' } });
    expect(code).toBe(EXIT_OK);
    expect(stdout).toBe('ok: 2 policies (idle-keys, idle-passkeys)\n');
    const bad = await cli(['policy', 'check'], { env: { KEYWARDEN_POLICIES_FILE: 'bad.yml' } });
    expect(bad.code).toBe(EXIT_FAILED);
    expect(bad.stderr).toContain(BAD_PROBLEMS[0]);
  });

  it('checks infra/policies.yml in the working directory by default', async () => {
    const project = mkdtempSync(join(tmpdir(), 'keywarden-policy-project-'));
    try {
      mkdirSync(join(project, 'infra'));
      writeFileSync(join(project, 'infra', 'policies.yml'), 'policies:\n  - name: mine\n    idle_days: 7\n');
      const { code, stdout } = await cli(['policy', 'check'], { cwd: project });
      expect(code).toBe(EXIT_OK);
      expect(stdout).toBe('ok: 1 policy (mine)\n');
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it("falls back to Keywarden's own infra/policies.yml when the working directory has none", async () => {
    const { code, stdout, stderr } = await cli(['policy', 'check'], { cwd: empty });
    expect(stderr).toBe('');
    expect(code).toBe(EXIT_OK);
    expect(stdout).toBe('ok: 2 policies (idle-security-keys, idle-passkeys)\n');
  });

  it('reports a bad KEYWARDEN_* setting as a configuration problem', async () => {
    const { code, stderr } = await cli(['policy', 'check'], { env: { KEYWARDEN_MAX_JOBS: 'many' } });
    expect(code).toBe(EXIT_FAILED);
    expect(stderr).toBe('keywarden: Configuration problem: KEYWARDEN_MAX_JOBS must be a whole number\n');
  });

  it.each([
    [['policy', 'frob'], 'unknown subcommand "frob"'],
    [['policy', 'check', 'extra.yml'], 'unexpected "extra.yml" after "policy check"'],
    [['policy', 'check', '--file'], '--file needs a path'],
    [['policy', 'check', '--type', 'phone'], '--type and --vendor apply to "keys stale" only'],
    [['keys', 'stale', '90', '--file', 'good.yml'], '--file applies to "policy check" only'],
    [['user', 'lookup', 'alice', '--file', 'good.yml'], '--file applies to "policy check" only'],
  ])('refuses %j with the problem, the usage, and exit code 2', async (argv, problem) => {
    const { code, stdout, stderr } = await cli(argv);
    expect(code).toBe(EXIT_USAGE);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe(`keywarden: ${problem}`);
    expect(stderr).toContain('keywarden policy check [--file PATH]');
  });

  it('is in the usage', async () => {
    const { code, stdout } = await cli(['policy']);
    expect(code).toBe(EXIT_OK);
    expect(stdout).toContain('keywarden policy check [--file PATH]');
  });

  describe('the installed keywarden command', () => {
    const run = promisify(execFile);
    const bin = new URL('../../bin/keywarden.js', import.meta.url).pathname;

    it('exits 1 on a bad file, printing the problems without a stack trace', async () => {
      const err = await run(process.execPath, [bin, 'policy', 'check', '--file', 'bad.yml'], {
        cwd: dir,
        env: { PATH: process.env.PATH },
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: EXIT_FAILED });
      const { stderr } = err as { stderr: string };
      expect(stderr.split('\n').slice(0, 3)).toEqual(BAD_PROBLEMS);
      expect(stderr).not.toMatch(/^\s+at /m);
    });

    it('exits 0 on the shipped file', async () => {
      const { stdout } = await run(process.execPath, [bin, 'policy', 'check'], {
        cwd: empty,
        env: { PATH: process.env.PATH },
      });
      expect(stdout).toBe('ok: 2 policies (idle-security-keys, idle-passkeys)\n');
    });
  });
});
