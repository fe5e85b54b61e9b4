import type { IdmelonSandbox } from '../../sandbox/idmelon/index.js';
import type { InventoryChanges, InventorySource, RangeRead, SyncRange } from '../../src/domain/inventory.js';
import type { Key, OperationContext, UserSummary } from '../../src/domain/provider.js';
import { staticSecret } from '../../src/http/credentials.js';
import type { Transport } from '../../src/http/transport.js';
import { createIdmelonProvider } from '../../src/providers/idmelon/index.js';
import { toKey, toUser } from '../../src/providers/idmelon/mapping.js';
import { fastRetry } from './idmelon.js';

/** Keys and people per range: IDmelon's page cap, one request per range. */
export const RANGE_SIZE = 100;

/**
 * A small inventory source over the IDmelon sandbox, for the engine's tests: keys in `skip` windows planned from the
 * listing's total, people page by page (each range names the next, as a cursor-read listing does). Its change feed
 * is a whole re-read plus the sandbox's own record of deletions: enough to exercise the store's moves and removals,
 * not a model of what IDmelon's feed can tell.
 */
export function idmelonTestSource(
  sandbox: IdmelonSandbox,
  transport: Transport,
  options: { failAfterRanges?: number } = {},
): InventorySource & { rangesRead: string[] } {
  const provider = createIdmelonProvider({
    baseUrl: sandbox.url,
    apiKey: staticSecret(sandbox.apiKey),
    transport,
    retry: fastRetry,
    // Retry-After and backoff are not waited out here: the budget's pace is what these tests look at.
    sleep: async () => undefined,
  });
  const client = provider.client;
  const call = (ctx: OperationContext) => ({ deadline: ctx.deadline, meter: ctx.meter });
  const rangesRead: string[] = [];

  const readAll = async (ctx: OperationContext) => {
    const keys: Key[] = [];
    const people: UserSummary[] = [];
    for (let skip = 0; ; skip += RANGE_SIZE) {
      const page = await client.listSecurityKeys({ skip, limit: RANGE_SIZE }, call(ctx));
      keys.push(...page.data.map(toKey));
      if (skip + RANGE_SIZE >= (page.total ?? 0)) break;
    }
    for (let skip = 0; ; skip += RANGE_SIZE) {
      const page = await client.listUsers({ skip, limit: RANGE_SIZE }, call(ctx));
      people.push(...page.data.map(toUser));
      if (skip + RANGE_SIZE >= (page.total ?? 0)) break;
    }
    return { keys, people };
  };

  return {
    vendor: 'idmelon',
    rangesRead,
    async cursorNow() {
      return String(sandbox.routes.deletions.length);
    },
    async planFullSync(ctx) {
      const first = await client.listSecurityKeys({ skip: 0, limit: 1 }, call(ctx));
      const ranges: SyncRange[] = [];
      for (let skip = 0; skip < (first.total ?? 0); skip += RANGE_SIZE)
        ranges.push({ id: `keys-${skip}`, kind: 'keys', start: skip, size: RANGE_SIZE });
      ranges.push({ id: 'people-0', kind: 'people', start: 0, size: RANGE_SIZE });
      return ranges;
    },
    async readRange(range, ctx): Promise<RangeRead> {
      if (options.failAfterRanges !== undefined && rangesRead.length >= options.failAfterRanges)
        throw new Error('the worker stopped here');
      const skip = Number(range.start ?? 0);
      let read: RangeRead;
      if (range.kind === 'keys') {
        const page = await client.listSecurityKeys({ skip, limit: RANGE_SIZE }, call(ctx));
        read = { keys: page.data.map(toKey), people: [] };
      } else {
        const page = await client.listUsers({ skip, limit: RANGE_SIZE }, call(ctx));
        const next = skip + RANGE_SIZE;
        read = {
          keys: [],
          people: page.data.map(toUser),
          next:
            next < (page.total ?? 0)
              ? { id: `people-${next}`, kind: 'people', start: next, size: RANGE_SIZE }
              : undefined,
        };
      }
      rangesRead.push(range.id);
      return read;
    },
    async changesSince(cursor, ctx): Promise<InventoryChanges> {
      const { keys, people } = await readAll(ctx);
      return {
        keys,
        removedKeys: sandbox.routes.deletions.slice(Number(cursor)),
        people,
        removedPeople: [],
        cursor: String(sandbox.routes.deletions.length),
      };
    },
  };
}

/** Wraps a transport to count the requests in flight at once (the most seen, and how many were sent). */
export function countingTransport(inner: Transport): Transport & { maxInFlight: number; sent: number } {
  let inFlight = 0;
  const counter = {
    maxInFlight: 0,
    sent: 0,
    async send(req: Parameters<Transport['send']>[0]) {
      inFlight++;
      counter.sent++;
      counter.maxInFlight = Math.max(counter.maxInFlight, inFlight);
      try {
        return await inner.send(req);
      } finally {
        inFlight--;
      }
    },
    close: () => inner.close(),
  };
  return counter;
}
