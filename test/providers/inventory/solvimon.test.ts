import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type SolvimonSandbox, startSolvimonSandbox } from '../../../sandbox/solvimon/index.js';
import { Deadline, newMeter } from '../../../src/domain/deadline.js';
import type { InventorySource } from '../../../src/domain/inventory.js';
import { staticSecret } from '../../../src/http/credentials.js';
import { undiciTransport } from '../../../src/http/transport.js';
import { createIdmelonProvider } from '../../../src/providers/idmelon/index.js';
import { createSolvimonProvider } from '../../../src/providers/solvimon/index.js';
import { solvimonVendor } from '../../../src/providers/solvimon/vendor.js';
import { fastRetry, NOW } from '../../helpers/idmelon.js';

const ctx = () => ({ deadline: Deadline.after(30_000), meter: newMeter() });

describe('Solvimon inventory source', () => {
  let sb: SolvimonSandbox | undefined;
  const transport = undiciTransport();
  afterEach(async () => {
    await sb?.close();
    sb = undefined;
  });
  afterAll(() => transport.close());

  async function setup(): Promise<{ sb: SolvimonSandbox; source: InventorySource }> {
    const started = await startSolvimonSandbox({ now: NOW, keys: 120 });
    sb = started;
    const provider = createSolvimonProvider({
      baseUrl: started.url,
      apiKey: staticSecret(started.apiKey),
      transport,
      retry: fastRetry,
    });
    return { sb: started, source: solvimonVendor.inventory?.(provider) as InventorySource };
  }

  const activeIds = (sb: SolvimonSandbox) =>
    sb.keys
      .filter((k) => k.status === 'ACTIVE')
      .map((k) => k.id)
      .sort();

  it('syncs the active keys in one range read with one request', async () => {
    const { sb, source } = await setup();
    const ranges = await source.planFullSync(ctx());
    expect(ranges).toEqual([{ id: 'all', kind: 'all' }]);
    const read = await source.readRange(ranges[0] as (typeof ranges)[0], ctx());
    expect(read.keys.map((k) => k.id).sort()).toEqual(activeIds(sb));
    expect(read.keys.every((k) => k.status === 'active' && k.lastUsedAt === undefined && k.createdAt)).toBe(
      true,
    );
    expect(read.people).toEqual([]);
    expect(sb.server.requests).toHaveLength(1);
  });

  it('refreshes by listing again, whole, since Solvimon keeps no change history, and never asks for a secret', async () => {
    const { sb, source } = await setup();
    const cursor = await source.cursorNow(ctx());
    expect(sb.server.requests).toHaveLength(0);
    const gone = sb.keys.find((k) => k.status === 'ACTIVE');
    if (!gone) throw new Error('no active key');
    gone.status = 'INACTIVE';
    gone.active = false;
    const changes = await source.changesSince(cursor, ctx());
    expect(changes.complete).toBe(true);
    expect(changes.keys.map((k) => k.id).sort()).toEqual(activeIds(sb));
    expect(changes.keys.map((k) => k.id)).not.toContain(gone.id);
    expect(sb.server.requests).toHaveLength(1);
    expect(sb.server.count(/decrypt/)).toBe(0);
    expect(await source.changesSince(changes.cursor, ctx())).toEqual(changes);
  });

  it('is built only over a Solvimon provider', () => {
    const other = createIdmelonProvider({
      baseUrl: 'http://127.0.0.1:9',
      apiKey: staticSecret('x'),
      transport,
    });
    expect(() => solvimonVendor.inventory?.(other)).toThrow(TypeError);
  });
});
