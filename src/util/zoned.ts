import type { Day, Window } from '../domain/digest.js';

export type { Day, Window };
/**
 * Calendar arithmetic in an IANA time zone with nothing but Intl: local midnights, and the 7-day windows the digest
 * reports on. Days are calendar days, so a day with a daylight-saving change lasts 23 or 25 hours.
 */

export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isTimeZone(name: string): boolean {
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of `instant` in `timeZone`. */
export function zonedParts(instant: number, timeZone: string) {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant)))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year as number,
    month: parts.month as number,
    day: parts.day as number,
    hour: parts.hour as number,
    minute: parts.minute as number,
    second: parts.second as number,
  };
}

/** Milliseconds `timeZone` is ahead of UTC at `instant`. */
export function offsetAt(instant: number, timeZone: string): number {
  const p = zonedParts(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The instant a local date starts (its midnight; if midnight is skipped by a DST change, the first valid time). */
export function startOfLocalDay(date: LocalDate, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day);
  let guess = wall - offsetAt(wall, timeZone);
  // A second pass settles the offset when the first guess landed on the other side of a DST change.
  guess = wall - offsetAt(guess, timeZone);
  const back = zonedParts(guess, timeZone);
  if (back.day !== date.day) guess += 3_600_000;
  return guess;
}

export function localDate(instant: number, timeZone: string): LocalDate {
  const p = zonedParts(instant, timeZone);
  return { year: p.year, month: p.month, day: p.day };
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function isoDate(d: LocalDate): string {
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

/** The `count` full local days before the day `now` falls in, oldest first. */
export function lastFullDays(now: number, timeZone: string, count = 7, weeksBack = 0): Window {
  const today = localDate(now, timeZone);
  const first = addDays(today, -count * (weeksBack + 1));
  const days: Day[] = [];
  for (let i = 0; i < count; i++) {
    const d = addDays(first, i);
    days.push({
      date: isoDate(d),
      start: new Date(startOfLocalDay(d, timeZone)).toISOString(),
      end: new Date(startOfLocalDay(addDays(d, 1), timeZone)).toISOString(),
    });
  }
  return { timeZone, start: days[0]?.start as string, end: days[days.length - 1]?.end as string, days };
}
