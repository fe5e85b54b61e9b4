import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdmelonSandbox, startIdmelonSandbox } from '../../sandbox/idmelon/index.js';
import { EXIT_OK, EXIT_USAGE, runCli } from '../../src/cli/run.js';
import type { StaleReport } from '../../src/services/stale.js';
import { clock, NOW } from '../helpers/idmelon.js';
import { idmelonInventory, MemoryInventory } from '../helpers/inventory.js';

describe('keywarden keys stale / user lookup with an inventory', () => {
  let sandbox: IdmelonSandbox;
  let env: NodeJS.ProcessEnv;
  const inventory = new MemoryInventory();

  beforeAll(async () => {
    sandbox = await startIdmelonSandbox({ now: NOW, apiKey: 'cli-inventory-key-0123456789' });
    env = {
      IDMELON_BASE_URL: sandbox.url,
      IDMELON_API_KEY: sandbox.apiKey,
      KEYWARDEN_TIMEZONE: 'Europe/Paris',
    };
    // Refreshed 25 minutes before the test's now: 12:35 in Paris.
    await inventory.publishSnapshot(
      'idmelon',
      idmelonInventory(sandbox.workspace),
      '2026-11-23T11:35:00.000Z',
    );
  });
  afterAll(async () => {
    await sandbox.close();
  });

  async function cli(argv: string[]) {
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
      inventory,
    });
    return { code, stdout, stderr };
  }

  it('answers from the inventory and says as of when, in KEYWARDEN_TIMEZONE', async () => {
    sandbox.server.clearLog();
    const { code, stdout } = await cli(['keys', 'stale', '90']);
    expect(code).toBe(EXIT_OK);
    expect(sandbox.server.requests).toHaveLength(0);
    expect(stdout).toContain('  from the inventory, as of 12:35; --live asks IDmelon');
  });

  it('--live asks the vendor, and --json says where each section came from', async () => {
    sandbox.server.clearLog();
    const { code, stdout } = await cli(['keys', 'stale', '90', '--live', '--json']);
    expect(code).toBe(EXIT_OK);
    expect(sandbox.server.requests.length).toBeGreaterThan(0);
    const report = JSON.parse(stdout) as StaleReport;
    expect(report.live).toBe(true);
    expect(report.sections[0]?.read).toEqual({ from: 'live' });
  });

  it('user lookup --live asks the vendor, and says so', async () => {
    const { code, stdout } = await cli(['user', 'lookup', 'alice@acme.example', '--live']);
    expect(code).toBe(EXIT_OK);
    expect(stdout).toContain('IDmelon: read live, as asked');
    expect(stdout).toContain('Alice Anders');
  });

  it('user lookup without --live names the inventory', async () => {
    const { stdout } = await cli(['user', 'lookup', 'alice@acme.example']);
    expect(stdout).toContain(
      'IDmelon: found from the inventory, as of 12:35; keys read live; --live asks the vendor',
    );
  });

  it('refuses --live where it means nothing', async () => {
    const { code, stderr } = await cli(['digest', '--live']);
    expect(code).toBe(EXIT_USAGE);
    expect(stderr).toContain('--live applies to "keys stale" and "user lookup" only');
  });
});
