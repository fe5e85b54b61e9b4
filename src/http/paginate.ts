/** One page of a `limit`/`skip` list. `limit` is what the server echoed back (it may cap what we asked for). */
export interface SkipPage<T> {
  items: T[];
  total: number;
  skip: number;
  limit?: number;
}

/**
 * Fetches one page. `signal` is aborted when nobody will read the page any more (the consumer stopped, or an
 * earlier page failed); passing it on to the HTTP call cancels the request instead of leaving it running.
 */
export type FetchSkipPage<T> = (skip: number, limit: number, signal?: AbortSignal) => Promise<SkipPage<T>>;

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

export interface ReadAheadOptions extends SkipPaginationOptions {
  /**
   * Most page requests outstanding at once, counting the page the consumer waits for and pages fetched but not
   * yet read; 1 reads one page at a time, like `paginateSkip`. @default 8
   */
  window?: number;
  /**
   * Start with one page ahead and widen by one for every page the consumer reads and comes back from, up to
   * `window`: the window doubles each round trip while the consumer keeps going, so a walk that stops on an early
   * page asks for little it does not read. Off, the window is full from the second page on (a read of the whole
   * list, where nothing is wasted). @default true
   */
  adaptive?: boolean;
  /**
   * The consumer's guess, asked each time it comes back for a page, of how many more pages it will read (that one
   * included), or undefined if it cannot tell. Outstanding requests are capped to it, never below the one asked
   * for: a consumer that can see where it will stop (a scan sorted by time nearing its cutoff) asks for little
   * past it. Pages already requested are not withdrawn.
   */
  pagesLeft?: () => number | undefined;
}

/**
 * Pages through a `limit`/`skip` list in order, with the next pages already requested while the consumer reads
 * the current one. The first page is read alone: it tells `total` and the server's real page size (IDmelon caps
 * and echoes `limit`), and so the offset of every later page.
 *
 * When the consumer stops (`break`, `return`, or a page's error), no new request is made and those still
 * outstanding are cancelled through their signal and awaited, so nothing is left running. What was asked for
 * beyond the last page read, the overshoot, is at most `window - 1` pages, and with `adaptive` never more than the
 * pages already read. A failed page is thrown once the pages before it have been yielded, in order.
 *
 * A page that comes back short (the list shrank, or the server capped it differently) has its remainder asked
 * for next, before the pages already requested, so nothing is skipped; an empty page ends the walk.
 */
export async function* readAheadSkip<T>(
  fetchPage: FetchSkipPage<T>,
  options: ReadAheadOptions = {},
): AsyncGenerator<SkipPage<T>> {
  const window = Math.max(1, options.window ?? 8);
  const adaptive = options.adaptive ?? true;
  const start = options.startSkip ?? 0;
  const cancel = new AbortController();
  interface Slot {
    skip: number;
    limit: number;
    page: Promise<SkipPage<T>>;
  }
  const queue: Slot[] = [];
  const ask = (skip: number, limit: number): Slot => {
    const page = fetchPage(skip, limit, cancel.signal);
    // Thrown when its turn comes; a page nobody reaches must not fail the process as an unhandled rejection.
    page.catch(() => {});
    return { skip, limit, page };
  };
  try {
    const first = await fetchPage(start, options.limit ?? 100, cancel.signal);
    yield { ...first, skip: start };
    const pageSize = first.items.length;
    const total = first.total;
    let next = start + pageSize;
    if (pageSize === 0 || next >= total) return;
    for (let read = 1; ; read++) {
      const widest = adaptive ? Math.min(window, read + 1) : window;
      const guess = options.pagesLeft?.();
      const outstanding =
        guess !== undefined && Number.isFinite(guess)
          ? Math.max(1, Math.min(widest, Math.ceil(guess)))
          : widest;
      while (queue.length < outstanding && next < total) {
        queue.push(ask(next, pageSize));
        next += pageSize;
      }
      const slot = queue.shift();
      if (!slot) return;
      const page = await slot.page;
      yield { ...page, skip: slot.skip };
      const got = page.items.length;
      if (got === 0) return;
      const expected = Math.min(slot.limit, total - slot.skip);
      if (got < expected) queue.unshift(ask(slot.skip + got, expected - got));
    }
  } finally {
    cancel.abort(new Error('the pages were no longer needed'));
    await Promise.allSettled(queue.map((slot) => slot.page));
  }
}

export interface ParallelCollectOptions extends SkipPaginationOptions {
  /** Pages in flight at once after the first. @default 8 */
  concurrency?: number;
  onPage?: (received: number, total: number) => void;
}

/**
 * Fetches a whole `limit`/`skip` list: the first page tells `total` and the server's real page size, then the
 * remaining pages are read ahead with `concurrency` in flight (no overshoot: every page is wanted). A page that
 * comes back short has its remainder fetched before the next, so nothing is skipped.
 */
export async function collectSkipParallel<T>(
  fetchPage: FetchSkipPage<T>,
  options: ParallelCollectOptions = {},
): Promise<{ items: T[]; total: number }> {
  const items: T[] = [];
  let total: number | undefined;
  for await (const page of readAheadSkip(fetchPage, {
    limit: options.limit,
    startSkip: options.startSkip,
    window: options.concurrency ?? 8,
    adaptive: false,
  })) {
    // The first page's total fixed every offset; later pages may disagree if the list changed meanwhile.
    total ??= page.total;
    items.push(...page.items);
    options.onPage?.(items.length, total);
  }
  return { items, total: total ?? 0 };
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
