import { describe, expect, it } from 'vitest';
import { collectSkipParallel, type FetchSkipPage, paginateSkip } from '../../src/http/paginate.js';

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
