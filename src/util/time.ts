import { DAY_MS } from '../domain/clock.js';
import type { ReadSource } from '../domain/provider.js';
import { zonedParts } from './zoned.js';

/** Whole days from `iso` to `now`, never negative. */
export function daysSince(iso: string, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / DAY_MS));
}

/** "today", "1 day ago", "213 days ago", or "never". */
export function lastUseText(iso: string | null | undefined, now: Date): string {
  if (!iso) return 'never';
  const d = daysSince(iso, now);
  if (d === 0) return 'today';
  return d === 1 ? '1 day ago' : `${d.toLocaleString('en-US')} days ago`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/**
 * How a key's use reads: "last used 213 days ago", "last used never", or, for vendors that do not track use
 * (Solvimon API keys), "created 400 days ago, use not tracked".
 */
export function keyUseText(k: { lastUsedAt?: string | null; createdAt?: string }, now: Date): string {
  if (k.lastUsedAt === undefined && k.createdAt) {
    const d = daysSince(k.createdAt, now);
    return `created ${d === 0 ? 'today' : d === 1 ? '1 day ago' : `${d.toLocaleString('en-US')} days ago`}, use not tracked`;
  }
  return `last used ${lastUseText(k.lastUsedAt, now)}`;
}

/** A duration the way people say it: "45 s", "20 min", "3 h", "2 days" (rounded down to the unit shown). */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 2 * 86_400) return `${Math.floor(s / 3600)} h`;
  return plural(Math.floor(s / 86_400), 'day');
}

/** `2026-11-24 14:05 UTC`: an instant to the minute, where no time zone is at hand (the audit trail, the digest). */
export function utcMinute(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * "14:05" on `now`'s day in `timeZone`, "2026-11-22 14:05" on another: when the inventory an answer was read from
 * was last refreshed, in the team's time zone (KEYWARDEN_TIMEZONE).
 */
export function clockTime(iso: string, timeZone: string, now: Date): string {
  const at = zonedParts(Date.parse(iso), timeZone);
  const today = zonedParts(now.getTime(), timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(at.hour % 24)}:${two(at.minute)}`;
  const sameDay = at.year === today.year && at.month === today.month && at.day === today.day;
  return sameDay ? time : `${at.year}-${two(at.month)}-${two(at.day)} ${time}`;
}

/**
 * Where an answer came from, as one phrase: "from the inventory, as of 14:05"; the reason the vendor was read
 * although an inventory is kept; "read live, as asked"; or nothing for a vendor read that could not have been
 * anything else.
 */
export function sourceText(
  source: ReadSource | undefined,
  options: { timeZone: string; now: Date; live?: boolean },
): string | undefined {
  if (source?.from === 'inventory' && source.asOf)
    return `from the inventory, as of ${clockTime(source.asOf, options.timeZone, options.now)}`;
  if (source?.fallback) return source.fallback;
  return options.live ? 'read live, as asked' : undefined;
}
