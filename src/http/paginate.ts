import { mapLimit } from '../util/concurrency.js';

/** One page of a `limit`/`skip` list. `limit` is what the server echoed back (it may cap what we asked for). */
export interface SkipPage<T> {
  items: T[];
  total: number;
  skip: number;
  limit?: number;
}

export type FetchSkipPage<T> = (skip: number, limit: number) => Promise<SkipPage<T>>;

export interface SkipPaginationOptions {
  /** Page size asked for; the server may answer with fewer. @default 100 */
  limit?: number;
  startSkip?: number;
}

/**
 * Pages through a `limit`/`skip` list in order. `skip` advances by the number of items actually received, never by
 * the limit asked for: servers cap page sizes (IDmelon echoes the capped `limit`), and advancing by the request
 * would silently skip items. Stops at `total` or at the first empty page. Callers can stop early by breaking out.
 */
export async function* paginateSkip<T>(
  fetchPage: FetchSkipPage<T>,
  options: SkipPaginationOptions = {},
): AsyncGenerator<SkipPage<T>> {
  const limit = options.limit ?? 100;
  let skip = options.startSkip ?? 0;
  for (;;) {
    const page = await fetchPage(skip, limit);
    yield { ...page, skip };
    if (page.items.length === 0) return;
    skip += page.items.length;
    if (skip >= page.total) return;
  }
}

export interface ParallelCollectOptions extends SkipPaginationOptions {
  /** Pages in flight at once after the first. @default 8 */
  concurrency?: number;
  onPage?: (received: number, total: number) => void;
}

/**
 * Fetches a whole `limit`/`skip` list: the first page tells `total` and the server's real page size, then the
 * remaining pages are fetched in parallel with a bound. A page that comes back short (the list shrank, or the
 * server capped it differently) has its remainder fetched in order, so nothing is skipped.
 */
export async function collectSkipParallel<T>(
  fetchPage: FetchSkipPage<T>,
  options: ParallelCollectOptions = {},
): Promise<{ items: T[]; total: number }> {
  const limit = options.limit ?? 100;
  const first = await fetchPage(0, limit);
  const pageSize = first.items.length;
  options.onPage?.(pageSize, first.total);
  if (pageSize === 0 || pageSize >= first.total) return { items: first.items, total: first.total };

  const offsets: number[] = [];
  for (let skip = pageSize; skip < first.total; skip += pageSize) offsets.push(skip);
  let received = pageSize;
  const pages = await mapLimit(offsets, options.concurrency ?? 8, async (skip) => {
    const page = await fetchPage(skip, pageSize);
    received += page.items.length;
    options.onPage?.(received, first.total);
    return page;
  });

  const items = [...first.items];
  for (const [i, page] of pages.entries()) {
    items.push(...page.items);
    const skip = offsets[i] as number;
    const expected = Math.min(pageSize, first.total - skip);
    if (page.items.length >= expected) continue;
    // Short page: walk the gap in order until it is covered or the server runs dry.
    let at = skip + page.items.length;
    const end = skip + expected;
    while (at < end) {
      const fill = await fetchPage(at, end - at);
      if (fill.items.length === 0) break;
      items.push(...fill.items.slice(0, end - at));
      at += fill.items.length;
    }
  }
  return { items, total: first.total };
}

/** One page of a cursor list (TryMellon: `has_more`, `next_cursor`, passed back as `starting_after`). */
export interface CursorPage<T> {
  items: T[];
  hasMore: boolean;
  nextCursor: string | null | undefined;
}

/**
 * Pages through a cursor list in order until `has_more` is false, the cursor is missing, or a page is empty. A
 * cursor seen twice ends the walk: a server that repeats itself must not loop us forever.
 */
export async function* paginateCursor<T>(
  fetchPage: (cursor: string | undefined) => Promise<CursorPage<T>>,
): AsyncGenerator<CursorPage<T>> {
  let cursor: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const page = await fetchPage(cursor);
    yield page;
    if (!page.hasMore || !page.nextCursor || page.items.length === 0 || seen.has(page.nextCursor)) return;
    seen.add(page.nextCursor);
    cursor = page.nextCursor;
  }
}
