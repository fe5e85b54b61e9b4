import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_OK, EXIT_USAGE, runCli } from '../../../src/cli/run.js';
import { undiciTransport } from '../../../src/http/transport.js';
import { clock } from '../../helpers/idmelon.js';
import { idmelonTestSource } from '../../helpers/inventory-source.js';

describe('keywarden inventory', () => {
  it('syncs a vendor here and now, prints what it stored, and status shows it afterwards', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-inventory-'));
    const transport = undiciTransport();
    let keys = 0;
    let people = 0;
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
        inventorySources: async (bot) => {
          const sandbox = bot.sandbox;
          if (!sandbox) throw new Error('no IDmelon sandbox');
          keys = sandbox.workspace.keys.length;
          people = sandbox.workspace.users.length;
          return [idmelonTestSource(sandbox, transport)];
        },
      });
      return { code, out, err };
    };
    try {
      const sync = await run(['inventory', 'sync', '--vendor', 'idmelon']);
      expect(sync.err).toBe('');
      expect(sync.code).toBe(EXIT_OK);
      expect(sync.out).toMatch(
        new RegExp(
          `^idmelon: synced: ${keys.toLocaleString('en-US')} keys, ${people.toLocaleString('en-US')} people in \\d+ ranges`,
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
    } finally {
      await transport.close();
    }
    // The CLI's sandbox is full-sized (6 000 keys): storing it on dynalite takes a while on a loaded machine.
  }, 90_000);
});
