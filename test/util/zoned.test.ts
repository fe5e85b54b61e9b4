import { describe, expect, it } from 'vitest';
import { isTimeZone, lastFullDays, startOfLocalDay } from '../../src/util/zoned.js';

const hours = (d: { start: string; end: string }) => (Date.parse(d.end) - Date.parse(d.start)) / 3_600_000;

describe('local days and weeks', () => {
  it('gives the 7 full days before today, in UTC', () => {
    const w = lastFullDays(Date.parse('2026-11-23T09:00:00Z'), 'UTC');
    expect(w.days.map((d) => d.date)).toEqual([
      '2026-11-16',
      '2026-11-17',
      '2026-11-18',
      '2026-11-19',
      '2026-11-20',
      '2026-11-21',
      '2026-11-22',
    ]);
    expect(w.start).toBe('2026-11-16T00:00:00.000Z');
    expect(w.end).toBe('2026-11-23T00:00:00.000Z');
  });

  it('uses local midnights: Monday 09:00 in Tokyo is still Sunday in UTC', () => {
    const w = lastFullDays(Date.parse('2026-11-23T00:00:00Z'), 'Asia/Tokyo');
    expect(w.days[0]).toEqual({
      date: '2026-11-16',
      start: '2026-11-15T15:00:00.000Z',
      end: '2026-11-16T15:00:00.000Z',
    });
    expect(w.end).toBe('2026-11-22T15:00:00.000Z');
  });

  it('has a 25-hour day in the week daylight saving ends (Vancouver, 1 Nov 2026)', () => {
    const w = lastFullDays(Date.parse('2026-11-02T17:00:00Z'), 'America/Vancouver');
    expect(w.days.map(hours)).toEqual([24, 24, 24, 24, 24, 24, 25]);
    expect(w.days[6]).toEqual({
      date: '2026-11-01',
      start: '2026-11-01T07:00:00.000Z',
      end: '2026-11-02T08:00:00.000Z',
    });
  });

  it('has a 23-hour day in the week daylight saving starts (Paris, 29 Mar 2026)', () => {
    const w = lastFullDays(Date.parse('2026-03-30T08:00:00Z'), 'Europe/Paris');
    expect(w.days.at(-1)).toEqual({
      date: '2026-03-29',
      start: '2026-03-28T23:00:00.000Z',
      end: '2026-03-29T22:00:00.000Z',
    });
    expect(hours(w.days.at(-1) as { start: string; end: string })).toBe(23);
  });

  it('starts a day whose midnight is skipped at the first valid time (Santiago, 6 Sep 2026)', () => {
    expect(
      new Date(startOfLocalDay({ year: 2026, month: 9, day: 6 }, 'America/Santiago')).toISOString(),
    ).toBe('2026-09-06T04:00:00.000Z');
  });

  it('puts the previous week right before, with no gap or overlap', () => {
    const now = Date.parse('2026-11-02T17:00:00Z');
    const w = lastFullDays(now, 'America/Vancouver');
    const before = lastFullDays(now, 'America/Vancouver', 7, 1);
    expect(before.end).toBe(w.start);
    expect(before.days).toHaveLength(7);
  });

  it('knows a time zone from a typo', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Europe/Pariss')).toBe(false);
  });
});
