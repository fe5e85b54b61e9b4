import { describe, expect, it } from 'vitest';
import {
  collectSkipParallel,
  type FetchSkipPage,
  paginateSkip,
  readAheadSkip,
} from '../../src/http/paginate.js';

/** A list server in memory, with the same rules as IDmelon's: a page cap, echoed limit, `total`. */
function listOf(n: number, cap: number) {
  const items = Array.from({ length: n }, (_, i) => i);
  const calls: Array<{ skip: number; limit: number }> = [];
  const fetchPage: FetchSkipPage<number> = async (skip, limit) => {
    calls.push({ skip, limit });
    const effective = Math.min(limit, cap);
    return { items: items.slice(skip, skip + effective), total: items.length, skip, limit: effective };
  };
  return { items, calls, fetchPage };
}

describe('paginateSkip', () => {
  it('advances skip by the items received, not the limit asked, when the server caps pages', async () => {
    const list = listOf(250, 40);
    const seen: number[] = [];
    for await (const page of paginateSkip(list.fetchPage, { limit: 100 })) seen.push(...page.items);
    expect(seen).toEqual(list.items);
    expect(list.calls.map((c) => c.skip)).toEqual([0, 40, 80, 120, 160, 200, 240]);
  });

  it('stops at total without asking for an empty page', async () => {
    const list = listOf(200, 100);
    for await (const _ of paginateSkip(list.fetchPage)) {
      // drain
    }
    expect(list.calls).toHaveLength(2);
  });

  it('stops at the first empty page even if total promised more', async () => {
    const calls: number[] = [];
    const pages = paginateSkip<number>(async (skip) => {
      calls.push(skip);
      return { items: skip === 0 ? [1, 2] : [], total: 10, skip };
    });
    const all: number[] = [];
    for await (const p of pages) all.push(...p.items);
    expect(all).toEqual([1, 2]);
    expect(calls).toEqual([0, 2]);
  });

  it('lets the caller stop early', async () => {
    const list = listOf(1000, 100);
    for await (const page of paginateSkip(list.fetchPage)) if (page.skip >= 200) break;
    expect(list.calls).toHaveLength(3);
  });
});

/** Pages the consumer reads before it stops; `stopAfter` is the index of the last page it wants. */
async function readUntil<T>(pages: AsyncGenerator<{ items: T[]; skip: number }>, stopAfter: number) {
  const skips: number[] = [];
  for await (const page of pages) {
    skips.push(page.skip);
    if (skips.length > stopAfter) break;
  }
  return skips;
}

/** A fetch whose answers come back in a scrambled order: each waits a different number of event-loop turns. */
function scrambled(n: number, cap: number) {
  const list = listOf(n, cap);
  let call = 0;
  const fetchPage: FetchSkipPage<number> = async (skip, limit) => {
    const turns = (call++ * 7) % 5;
    for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
    return list.fetchPage(skip, limit);
  };
  return { ...list, fetchPage };
}

describe('readAheadSkip', () => {
  it('yields every page in order even when later pages answer first', async () => {
    const list = scrambled(1234, 100);
    const seen: number[] = [];
    const skips: number[] = [];
    for await (const page of readAheadSkip(list.fetchPage, { limit: 100, window: 6 })) {
      skips.push(page.skip);
      seen.push(...page.items);
    }
    expect(seen).toEqual(list.items);
    expect(skips).toEqual(Array.from({ length: 13 }, (_, i) => i * 100));
  });

  it('reads the first page alone, then asks with the page size the server answered with', async () => {
    const list = listOf(250, 40);
    const seen: number[] = [];
    for await (const page of readAheadSkip(list.fetchPage, { limit: 100 })) seen.push(...page.items);
    expect(seen).toEqual(list.items);
    expect(list.calls).toEqual([
      { skip: 0, limit: 100 },
      ...[40, 80, 120, 160, 200, 240].map((skip) => ({ skip, limit: 40 })),
    ]);
  });

  it('widens by one page for every page read, up to the window: the pages in flight double each round trip', async () => {
    const pages = 30;
    for (const window of [1, 4, 8]) {
      const list = listOf(pages * 10, 10);
      const askedWhenRead: number[] = [];
      for await (const _ of readAheadSkip(list.fetchPage, { limit: 10, window })) {
        askedWhenRead.push(list.calls.length);
      }
      // When page r is handed over, pages 0..r-1 have been read and min(window, r + 1) are outstanding.
      expect(askedWhenRead).toEqual(
        Array.from({ length: pages }, (_, r) => Math.min(pages, r + Math.min(window, r + 1))),
      );
    }
  });

  it('asks for the full window from the second page on when not adaptive', async () => {
    const list = listOf(300, 10);
    const askedWhenRead: number[] = [];
    for await (const _ of readAheadSkip(list.fetchPage, { limit: 10, window: 8, adaptive: false })) {
      askedWhenRead.push(list.calls.length);
    }
    expect(askedWhenRead).toEqual(Array.from({ length: 30 }, (_, r) => (r === 0 ? 1 : Math.min(30, r + 8))));
  });

  it('keeps no more pages outstanding than the consumer expects to read, and never fewer than one', async () => {
    const cases: Array<[number | undefined, (r: number) => number]> = [
      [3, (r) => Math.min(3, r + 1)],
      [0, () => 1],
      [-5, () => 1],
      [2.2, (r) => Math.min(3, r + 1)],
      // A guess that is no number is no guess.
      [Number.NaN, (r) => Math.min(8, r + 1)],
      [undefined, (r) => Math.min(8, r + 1)],
    ];
    for (const [guess, outstanding] of cases) {
      const list = listOf(300, 10);
      const askedWhenRead: number[] = [];
      for await (const _ of readAheadSkip(list.fetchPage, { limit: 10, window: 8, pagesLeft: () => guess })) {
        askedWhenRead.push(list.calls.length);
      }
      expect(list.calls.map((c) => c.skip)).toEqual(Array.from({ length: 30 }, (_, i) => i * 10));
      expect(askedWhenRead).toEqual(Array.from({ length: 30 }, (_, r) => Math.min(30, r + outstanding(r))));
    }
  });

  it('asks for at most min(window - 1, pages read) pages beyond the one the consumer stops at', async () => {
    for (const window of [1, 2, 4, 8]) {
      for (let stopAt = 0; stopAt < 20; stopAt++) {
        const list = listOf(5000, 100);
        const skips = await readUntil(readAheadSkip(list.fetchPage, { limit: 100, window }), stopAt);
        expect(skips).toHaveLength(stopAt + 1);
        const overshoot = list.calls.length - (stopAt + 1);
        expect(overshoot).toBeLessThanOrEqual(Math.min(window - 1, stopAt));
      }
    }
  });

  it('cancels the pages still outstanding when the consumer stops, and waits for them to end', async () => {
    const signals = new Map<number, AbortSignal>();
    const ended: number[] = [];
    const fetchPage: FetchSkipPage<number> = (skip, _limit, signal) => {
      if (signal) signals.set(skip, signal);
      const items = Array.from({ length: 10 }, (_, i) => skip + i);
      // The first five pages answer; the rest end only when cancelled, a turn of the event loop later.
      if (skip < 50) return Promise.resolve({ items, total: 1000, skip });
      return new Promise((_, reject) =>
        signal?.addEventListener('abort', () =>
          setImmediate(() => {
            ended.push(skip);
            reject(signal.reason);
          }),
        ),
      );
    };
    const skips = await readUntil(readAheadSkip(fetchPage, { limit: 10, window: 8 }), 4);
    expect(skips).toEqual([0, 10, 20, 30, 40]);
    const outstanding = [...signals.keys()].filter((skip) => skip >= 50);
    expect(outstanding.length).toBeGreaterThan(0);
    expect(outstanding.every((skip) => signals.get(skip)?.aborted)).toBe(true);
    expect(ended.sort((a, b) => a - b)).toEqual(outstanding);
  });

  it('throws a failed page after yielding the pages before it, and cancels the pages after it', async () => {
    const failure = new Error('page 3 failed');
    const signals = new Map<number, AbortSignal>();
    const fetchPage: FetchSkipPage<number> = async (skip, _limit, signal) => {
      if (signal) signals.set(skip, signal);
      // Page 3 fails at once, before the pages ahead of it have answered.
      if (skip === 30) throw failure;
      await new Promise((r) => setImmediate(r));
      return { items: Array.from({ length: 10 }, (_, i) => skip + i), total: 1000, skip };
    };
    const skips: number[] = [];
    const err = await (async () => {
      for await (const page of readAheadSkip(fetchPage, { limit: 10, window: 8, adaptive: false }))
        skips.push(page.skip);
    })().catch((e: unknown) => e);
    expect(err).toBe(failure);
    expect(skips).toEqual([0, 10, 20]);
    const after = [...signals.entries()].filter(([skip]) => skip > 30);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every(([, signal]) => signal.aborted)).toBe(true);
  });

  it('asks for the rest of a short page before going on, so nothing is skipped', async () => {
    const items = Array.from({ length: 300 }, (_, i) => i);
    const calls: Array<{ skip: number; limit: number }> = [];
    const fetchPage: FetchSkipPage<number> = async (skip, limit) => {
      calls.push({ skip, limit });
      // The second page loses its last 30 items once, as if the server capped it differently.
      const take = skip === 100 && limit === 100 ? 70 : Math.min(limit, 100);
      return { items: items.slice(skip, skip + take), total: items.length, skip };
    };
    const seen: number[] = [];
    const skips: number[] = [];
    for await (const page of readAheadSkip(fetchPage, { limit: 100, window: 4 })) {
      skips.push(page.skip);
      seen.push(...page.items);
    }
    expect(seen).toEqual(items);
    expect(skips).toEqual([0, 100, 170, 200]);
    expect(calls).toContainEqual({ skip: 170, limit: 30 });
  });

  it('ends at the first empty page even if total promised more', async () => {
    const calls: number[] = [];
    const fetchPage: FetchSkipPage<number> = async (skip) => {
      calls.push(skip);
      return { items: skip < 20 ? [skip, skip + 1, skip + 2, skip + 3, skip + 4] : [], total: 1000, skip };
    };
    const seen: number[] = [];
    for await (const page of readAheadSkip(fetchPage, { limit: 5, window: 4 })) seen.push(...page.items);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(calls.length - 5).toBeLessThanOrEqual(3);
  });

  it('with a window of 1 asks for the same pages as paginateSkip, one at a time', async () => {
    const ahead = listOf(1234, 100);
    const plain = listOf(1234, 100);
    let inFlight = 0;
    let peak = 0;
    const counted: FetchSkipPage<number> = async (skip, limit) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return ahead.fetchPage(skip, limit);
    };
    for await (const _ of readAheadSkip(counted, { limit: 100, window: 1 })) {
      // drain
    }
    for await (const _ of paginateSkip(plain.fetchPage, { limit: 100 })) {
      // drain
    }
    expect(ahead.calls).toEqual(plain.calls);
    expect(peak).toBe(1);
  });
});

describe('collectSkipParallel', () => {
  it('learns the real page size from the first page and fetches the rest', async () => {
    const list = listOf(1234, 37);
    const { items, total } = await collectSkipParallel(list.fetchPage, { limit: 100, concurrency: 4 });
    expect(total).toBe(1234);
    expect(items).toEqual(list.items);
    expect(list.calls).toHaveLength(Math.ceil(1234 / 37));
  });

  it('fills a page that came back short so nothing is skipped', async () => {
    const items = Array.from({ length: 300 }, (_, i) => i);
    let shortened = false;
    const fetchPage: FetchSkipPage<number> = async (skip, limit) => {
      // The second page loses its last 30 items once, as if a server capped it differently.
      let take = limit;
      if (skip === 100 && !shortened) {
        shortened = true;
        take = 70;
      }
      return { items: items.slice(skip, skip + Math.min(take, 100)), total: items.length, skip };
    };
    const got = await collectSkipParallel(fetchPage, { limit: 100 });
    expect(got.items).toEqual(items);
  });

  it('returns the first page alone when it holds everything', async () => {
    const list = listOf(20, 100);
    const { items } = await collectSkipParallel(list.fetchPage);
    expect(items).toHaveLength(20);
    expect(list.calls).toHaveLength(1);
  });

  it('never has more pages in flight than the bound', async () => {
    let inFlight = 0;
    let peak = 0;
    const fetchPage: FetchSkipPage<number> = async (skip) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return {
        items: Array.from({ length: Math.min(10, 500 - skip) }, (_, i) => skip + i),
        total: 500,
        skip,
      };
    };
    const { items } = await collectSkipParallel(fetchPage, { limit: 10, concurrency: 5 });
    expect(items).toHaveLength(500);
    expect(peak).toBe(5);
  });
});
