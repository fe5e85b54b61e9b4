import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from '../../src/cli/run.js';
import { clock } from '../helpers/idmelon.js';

/** The command line a team scripts against: version, CSV, and sandbox data never taken for real data. */
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

describe('keywarden for scripts', () => {
  it('prints its version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await cli(['--version'])).toMatchObject({ code: EXIT_OK, stdout: `keywarden ${pkg.version}\n` });
  });

  it('says at the top that the data is the sandbox’s, and marks each vendor in --json', async () => {
    const human = await cli(['keys', 'stale', '400', '--vendor', 'solvimon']);
    expect(human.code).toBe(EXIT_OK);
    expect(human.stdout.split('\n')[0]).toBe(
      'SANDBOX DATA (not your vendors): Solvimon. Set their credentials, or use --no-sandbox to refuse.',
    );
    const json = await cli(['keys', 'stale', '400', '--vendor', 'solvimon', '--json']);
    const report = JSON.parse(json.stdout) as { sections: Array<{ vendor: string; source: string }> };
    expect(report.sections).toEqual([expect.objectContaining({ vendor: 'solvimon', source: 'sandbox' })]);
  });

  it('prints the keys as CSV with --csv', async () => {
    const { code, stdout } = await cli(['keys', 'stale', '400', '--vendor', 'solvimon', '--csv']);
    expect(code).toBe(EXIT_OK);
    const [head, ...rows] = stdout.trim().split('\n');
    expect(head).toBe(
      'vendor,key_id,name,type,owner_email,owner_name,status,last_used_at,days_since_use,uses',
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.startsWith('solvimon,')).toBe(true);
    expect((await cli(['keys', 'stale', '90', '--csv', '--json'])).code).toBe(EXIT_USAGE);
  });

  it('refuses sandbox data with --no-sandbox or KEYWARDEN_REQUIRE_REAL, naming what is missing', async () => {
    for (const run of [
      cli(['keys', 'stale', '90', '--no-sandbox']),
      cli(['keys', 'stale', '90'], { KEYWARDEN_REQUIRE_REAL: 'true' }),
    ]) {
      const { code, stdout, stderr } = await run;
      expect(code).toBe(EXIT_FAILED);
      expect(stdout).toBe('');
      expect(stderr).toContain('IDmelon has no IDMELON_API_KEY');
      expect(stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('reports an unknown option as a usage error', async () => {
    const { code, stderr } = await cli(['keys', 'stale', '90', '--frobnicate']);
    expect(code).toBe(EXIT_USAGE);
    expect(stderr.split('\n')[0]).toBe('keywarden: unknown option "--frobnicate"');
  });
});
