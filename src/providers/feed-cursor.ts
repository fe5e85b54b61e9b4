/**
 * A position in a vendor's event log (IDmelon's activity logs, TryMellon's audit log), as an inventory cursor.
 *
 * Event times are the only position both logs share, and neither promises that an event is visible the moment its
 * timestamp is: two events can carry the same time, and one can be written a little after another with an earlier
 * time. So the next read starts `FEED_OVERLAP_MS` before the newest time seen, and the events already read in that
 * last stretch are remembered by id and skipped: nothing is lost at the boundary, and nothing is reported twice.
 */

/** How far before the newest event time seen the next read starts again. */
export const FEED_OVERLAP_MS = 1_000;

/** More ids than this in the overlap would make the cursor large; past it the oldest are dropped (and re-read). */
const MAX_SEEN = 500;

export interface FeedCursor {
  /** The newest event time read, ISO 8601; absent when the log was empty, so the next read starts at its start. */
  at?: string;
  /** Ids of the events read that are at most `FEED_OVERLAP_MS` older than `at`. */
  seen: string[];
}

export interface FeedEvent {
  id: string;
  /** ISO 8601. */
  at: string;
}

export function encodeFeedCursor(c: FeedCursor): string {
  return JSON.stringify(c.at === undefined ? { seen: c.seen } : { at: c.at, seen: c.seen });
}

/**
 * Reads a cursor this module wrote. A bare ISO date (a cursor written by hand, or by an older build) is read as that
 * time with nothing seen; anything else is refused, since starting from the wrong place would lose changes silently.
 */
export function decodeFeedCursor(text: string): FeedCursor {
  if (!text.startsWith('{')) {
    if (Number.isNaN(Date.parse(text))) throw new TypeError(`not a change feed cursor: ${text.slice(0, 80)}`);
    return { at: new Date(text).toISOString(), seen: [] };
  }
  const raw: unknown = JSON.parse(text);
  const o = (raw ?? {}) as { at?: unknown; seen?: unknown };
  const at = typeof o.at === 'string' && !Number.isNaN(Date.parse(o.at)) ? o.at : undefined;
  if (o.at !== undefined && at === undefined) throw new TypeError('change feed cursor has a bad time');
  const seen = Array.isArray(o.seen) ? o.seen.filter((s): s is string => typeof s === 'string') : [];
  return at === undefined ? { seen } : { at, seen };
}

/** Where the next read starts: the overlap before the cursor's time, or the log's start. */
export function readFrom(c: FeedCursor): string | undefined {
  return c.at === undefined ? undefined : new Date(Date.parse(c.at) - FEED_OVERLAP_MS).toISOString();
}

/**
 * The cursor after a read from `readFrom(previous)` that saw `events` (every event read, the skipped ones too).
 * The read covered the whole overlap of the new time as well, so its events are all the ids the new cursor needs.
 */
export function advanceFeedCursor(previous: FeedCursor, events: readonly FeedEvent[]): FeedCursor {
  let newest = previous.at === undefined ? undefined : Date.parse(previous.at);
  for (const e of events) {
    const t = Date.parse(e.at);
    if (newest === undefined || t > newest) newest = t;
  }
  if (newest === undefined) return previous;
  if (previous.at !== undefined && newest === Date.parse(previous.at) && events.length === 0) return previous;
  const floor = newest - FEED_OVERLAP_MS;
  const seen = new Set<string>();
  // Events read before, still in the new overlap: the previous cursor's, when its time has not moved.
  if (previous.at !== undefined && Date.parse(previous.at) === newest)
    for (const id of previous.seen) seen.add(id);
  const recent = events
    .filter((e) => Date.parse(e.at) >= floor)
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  for (const e of recent) seen.add(e.id);
  return { at: new Date(newest).toISOString(), seen: [...seen].slice(0, MAX_SEEN) };
}
