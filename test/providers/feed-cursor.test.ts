import { describe, expect, it } from 'vitest';
import {
  advanceFeedCursor,
  decodeFeedCursor,
  encodeFeedCursor,
  readFrom,
} from '../../src/providers/feed-cursor.js';

describe('change feed cursor', () => {
  it('round-trips, and reads a bare date as that time with nothing seen', () => {
    const c = { at: '2026-11-23T12:00:00.000Z', seen: ['a', 'b'] };
    expect(decodeFeedCursor(encodeFeedCursor(c))).toEqual(c);
    expect(decodeFeedCursor(encodeFeedCursor({ seen: [] }))).toEqual({ seen: [] });
    expect(decodeFeedCursor('2026-11-23T12:00:00Z')).toEqual({ at: '2026-11-23T12:00:00.000Z', seen: [] });
    expect(() => decodeFeedCursor('yesterday')).toThrow(TypeError);
  });

  it('reads again from one second before the newest time, and remembers the events of that second', () => {
    const c = advanceFeedCursor({ seen: [] }, [
      { id: 'old', at: '2026-11-23T11:59:58.000Z' },
      { id: 'edge', at: '2026-11-23T11:59:59.500Z' },
      { id: 'new', at: '2026-11-23T12:00:00.000Z' },
    ]);
    expect(c).toEqual({ at: '2026-11-23T12:00:00.000Z', seen: ['new', 'edge'] });
    expect(readFrom(c)).toBe('2026-11-23T11:59:59.000Z');
    expect(readFrom({ seen: [] })).toBeUndefined();
  });

  it('stays where it was after a read that found nothing', () => {
    const c = { at: '2026-11-23T12:00:00.000Z', seen: ['x'] };
    expect(advanceFeedCursor(c, [])).toBe(c);
    expect(advanceFeedCursor({ seen: [] }, [])).toEqual({ seen: [] });
  });
});
