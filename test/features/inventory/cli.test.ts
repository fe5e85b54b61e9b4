import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateWorkspace } from '../../../sandbox/idmelon/workspace.js';
import { EXIT_OK, EXIT_USAGE, runCli } from '../../../src/cli/run.js';
import { IDMELON_WINDOW } from '../../../src/providers/idmelon/inventory.js';
import { clock, NOW } from '../../helpers/idmelon.js';

describe('keywarden inventory', () => {
  it('syncs a vendor here and now through its own source, prints what it stored, and status shows it afterwards', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-inventory-'));
    // The CLI's sandbox is seeded: the same workspace, generated here, says what it holds. The inventory keeps the
    // active keys.
    const vendor = generateWorkspace({ now: NOW });
    const keys = vendor.keys.filter((k) => k.status === 20).length;
    const people = vendor.users.length;
    const ranges = Math.ceil(keys / IDMELON_WINDOW) + Math.ceil(people / IDMELON_WINDOW);
    const run = async (argv: string[]) => {
      let out = '';
      let err = '';
      const code = await runCli(argv, {
        stdout: (t) => {
          out += t;
        },
        stderr: (t) => {
          err += t;
        },
        env: { KEYWARDEN_INVENTORY_RATE: '100' },
        clock,
        dataDir,
      });
      return { code, out, err };
    };
    const sync = await run(['inventory', 'sync', '--vendor', 'idmelon']);
    expect(sync.err).toBe('');
    expect(sync.code).toBe(EXIT_OK);
    expect(sync.out).toMatch(
      new RegExp(
        `^idmelon: synced: ${keys.toLocaleString('en-US')} keys, ${people.toLocaleString('en-US')} people in ${ranges} ranges \\(${ranges} requests\\)`,
      ),
    );
    const status = await run(['inventory', 'status', '--vendor', 'idmelon']);
    expect(status.code).toBe(EXIT_OK);
    expect(status.out).toContain(
      `${keys.toLocaleString('en-US')} keys, ${people.toLocaleString('en-US')} people`,
    );
    expect(status.out).not.toContain('building');
    const json = await run(['inventory', 'status', '--json']);
    const parsed = JSON.parse(json.out) as Array<{ vendor: string; current?: { keys: number } }>;
    expect(parsed.find((s) => s.vendor === 'idmelon')?.current?.keys).toBe(keys);
    expect(parsed.find((s) => s.vendor === 'solvimon')?.current).toBeUndefined();
    expect((await run(['inventory', 'rebuild'])).code).toBe(EXIT_USAGE);
    // The CLI's sandbox is full-sized (6 000 keys): storing it on dynalite takes a while on a loaded machine.
  }, 90_000);
});
