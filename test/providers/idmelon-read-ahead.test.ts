import { afterEach, describe, expect, it } from 'vitest';
import type { IdmelonSandboxOptions } from '../../sandbox/idmelon/index.js';
import type { SandboxKey } from '../../sandbox/idmelon/workspace.js';
import { Deadline, newMeter } from '../../src/domain/deadline.js';
import type { OperationContext, Progress } from '../../src/domain/provider.js';
import { staticSecret } from '../../src/http/credentials.js';
import { HttpStatusError } from '../../src/http/errors.js';
import type { Transport } from '../../src/http/transport.js';
import { createIdmelonProvider } from '../../src/providers/idmelon/index.js';
import { READ_AHEAD_PAGES } from '../../src/providers/idmelon/provider.js';
import { fastRetry, type IdmelonHarness, idmelonHarness, NOW } from '../helpers/idmelon.js';

const LIST = '/administrator/securityDevice';
const WINDOW = READ_AHEAD_PAGES;

function context(progress?: Progress[]): OperationContext {
  return {
    deadline: Deadline.after(20_000),
    meter: newMeter(),
    onProgress: progress ? (p) => progress.push(p) : undefined,
  };
}

/** Active keys in the order the sandbox sorts them on `lastActivity,ascend`: never used first, then by last use. */
function sortedActive(keys: readonly SandboxKey[]): SandboxKey[] {
  const at = (k: SandboxKey) => k.lastActivityAt ?? '';
  return keys
    .filter((k) => k.status === 20)
    .sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : a._id < b._id ? -1 : 1));
}

/** A cutoff that makes the key at `position` of the sorted listing the first fresh one. */
function freshFrom(sandbox: IdmelonHarness['sandbox'], position: number): Date {
  const key = sortedActive(sandbox.workspace.keys)[position];
  if (!key?.lastActivityAt) throw new Error(`no used key at position ${position}`);
  return new Date(key.lastActivityAt);
}

describe('IDmelon stale scan with read-ahead', () => {
  let h: IdmelonHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /**
   * A sandbox, the provider under test (the default read-ahead, its requests in flight counted at the transport), and one
   * reading a page at a time for reference.
   */
  async function harness(options: IdmelonSandboxOptions) {
    const current = await idmelonHarness({ logs: 0, ...options });
    h = current;
    const flight = { now: 0, peak: 0 };
    const counted: Transport = {
      async send(req) {
        flight.peak = Math.max(flight.peak, ++flight.now);
        try {
          return await current.transport.send(req);
        } finally {
          flight.now--;
        }
      },
      close: () => current.transport.close(),
    };
    const wiring = {
      baseUrl: current.sandbox.url,
      apiKey: staticSecret(current.sandbox.apiKey),
      retry: fastRetry,
    };
    return {
      ...current,
      provider: createIdmelonProvider({ ...wiring, transport: counted, readAhead: WINDOW }),
      sequential: createIdmelonProvider({ ...wiring, transport: current.transport, readAhead: 1 }),
      flight,
    };
  }

  const sizes: Array<[string, IdmelonSandboxOptions]> = [
    ['an empty workspace', { users: 1, keys: 0 }],
    ['less than a page', { users: 20, keys: 60 }],
    ['exactly one page of active keys', { users: 20, keys: 100, pendingRatio: 0 }],
    ['a few pages', { users: 100, keys: 450 }],
    ['many pages', { users: 500, keys: 12_000 }],
  ];
  for (const [name, options] of sizes) {
    it(`lists the same keys as a one-page-at-a-time scan: ${name}, at several cutoffs`, async () => {
      const { provider, sequential, sandbox } = await harness(options);
      const days = [30, 90, 365, 100_000];
      for (const d of days) {
        const cutoff = new Date(NOW.getTime() - d * 86_400_000);
        const ahead = await provider.listStale({ cutoff }, context());
        const alone = await sequential.listStale({ cutoff }, context());
        expect(ahead).toEqual(alone);
        expect(ahead.scan).toBe('sorted');
      }
      // Every key stale: the scan reads to the end of the listing and no further.
      const everything = await provider.listStale({ cutoff: new Date(NOW.getTime() + 1) }, context());
      expect(everything).toEqual(
        await sequential.listStale({ cutoff: new Date(NOW.getTime() + 1) }, context()),
      );
      expect(everything.stale.length + everything.neverUsed.length).toBe(
        sortedActive(sandbox.workspace.keys).length,
      );
    });
  }

  it('lists the same keys when the first fresh key opens a page, ends one, or sits inside one', async () => {
    const { provider, sequential, sandbox } = await harness({ users: 300, keys: 3000, neverUsedRatio: 0.01 });
    for (const position of [199, 200, 201, 1250]) {
      const cutoff = freshFrom(sandbox, position);
      const ahead = await provider.listStale({ cutoff }, context());
      expect(ahead).toEqual(await sequential.listStale({ cutoff }, context()));
      expect(ahead.stale.length + ahead.neverUsed.length).toBe(position);
    }
  });

  it('lists the same keys with a type filter and when asked to stop once wanted keys are seen', async () => {
    const { provider, sequential, sandbox } = await harness({ users: 300, keys: 3000 });
    const cutoff = freshFrom(sandbox, 2000);
    const byType = await provider.listStale({ cutoff, type: 'badge' }, context());
    expect(byType).toEqual(await sequential.listStale({ cutoff, type: 'badge' }, context()));
    const wanted = new Set(
      sortedActive(sandbox.workspace.keys)
        .slice(640, 660)
        .map((k) => k._id),
    );
    const found = await provider.listStale({ cutoff, wanted }, context());
    expect(found).toEqual(await sequential.listStale({ cutoff, wanted }, context()));
    expect(found.stale.length + found.neverUsed.length).toBe(700);
  });

  it('falls back to reading every key the same way when the sort comes back out of order', async () => {
    const { provider, sequential } = await harness({ users: 300, keys: 2500, brokenSort: true });
    const cutoff = new Date(NOW.getTime() - 90 * 86_400_000);
    const ahead = await provider.listStale({ cutoff }, context());
    expect(ahead.scan).toBe('full');
    expect(ahead).toEqual(await sequential.listStale({ cutoff }, context()));
  });

  it('asks for at most a window less one of pages beyond the one where the scan stops, and no more than it has read', async () => {
    // Every key is stale, so nothing tells where the scan will end: it stops once the wanted key is seen.
    const cutoff = new Date(NOW.getTime() + 1);
    for (const page of [0, 1, 2, 5, 12, 30]) {
      // Answers take a little while, so the pages read ahead are still in flight when the scan stops.
      const { provider, sandbox, close, flight } = await harness({ users: 500, keys: 5000, latencyMs: 15 });
      const wanted = new Set([sortedActive(sandbox.workspace.keys)[page * 100 + 50]?._id as string]);
      const ctx = context();
      const listing = await provider.listStale({ cutoff, wanted }, ctx);
      expect(listing.stale.length + listing.neverUsed.length).toBe(page * 100 + 100);
      const needed = page + 1;
      expect(ctx.meter.requests).toBeGreaterThanOrEqual(needed);
      expect(ctx.meter.requests).toBeLessThanOrEqual(needed + Math.min(WINDOW - 1, page));
      // The sandbox sees no more than the client sent (a request cancelled before it was written never arrives).
      expect(sandbox.server.count(LIST)).toBeGreaterThanOrEqual(needed);
      expect(sandbox.server.count(LIST)).toBeLessThanOrEqual(ctx.meter.requests);
      expect(flight.peak).toBeLessThanOrEqual(WINDOW);
      if (page >= 5) expect(flight.peak).toBeGreaterThan(1);
      await close();
      h = undefined;
    }
  });

  it('asks for at most one page past the cutoff when last uses are spread evenly', async () => {
    const { provider, sandbox } = await harness({
      users: 500,
      keys: 5000,
      neverUsedRatio: 0.002,
      latencyMs: 5,
    });
    // The first fresh key opens its page, sits inside it, or ends it.
    for (const position of [
      100, 150, 199, 200, 250, 299, 500, 550, 599, 1200, 1250, 1299, 3000, 3050, 3099,
    ]) {
      const cutoff = freshFrom(sandbox, position);
      const ctx = context();
      const listing = await provider.listStale({ cutoff }, ctx);
      expect(listing.stale.length + listing.neverUsed.length).toBe(position);
      const needed = Math.floor(position / 100) + 1;
      expect(ctx.meter.requests).toBeGreaterThanOrEqual(needed);
      expect(ctx.meter.requests).toBeLessThanOrEqual(needed + 1);
    }
  });

  it('reports the pages before a failed one, then throws its error', async () => {
    const { provider, sandbox } = await harness({ users: 500, keys: 5000, latencyMs: 5 });
    sandbox.inject({
      fault: { kind: 'status', status: 400, body: { message: 'bad skip' } },
      match: (req) => req.path === LIST && req.query.get('skip') === '300',
    });
    const progress: Progress[] = [];
    const err = await provider
      .listStale({ cutoff: new Date(NOW.getTime() + 1) }, context(progress))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err).toMatchObject({ status: 400 });
    expect(progress.map((p) => p.done)).toEqual([100, 200, 300]);
  });
});
