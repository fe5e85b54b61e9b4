import type { VendorId } from './vendors.js';

/**
 * The weekly digest's data, without Slack types: each vendor contributes a section of parts (users, keys,
 * sign-ins…). Weeks are runs of local calendar days in the digest's time zone.
 */

export interface Day {
  date: string;
  /** Inclusive start, ISO instant. */
  start: string;
  /** Exclusive end, ISO instant. */
  end: string;
}

export interface Window {
  timeZone: string;
  start: string;
  end: string;
  days: Day[];
}

export interface Figure {
  label: string;
  value: number;
  /** The same figure a week earlier, when there is one. */
  previous?: number;
}

export interface DigestPart {
  title: string;
  /** Set when this part could not be computed: one plain sentence. */
  unavailable?: string;
  figures?: Figure[];
  /** Extra lines; may hold vendor text, so renderers escape them. */
  lines?: string[];
  /** A per-day series, drawn as a sparkline. */
  series?: Array<{ label: string; value: number }>;
  warnings?: string[];
  /** Offers the stale list with its revocation buttons. */
  reviewStale?: { days: number; count: number };
}

export interface VendorDigest {
  vendor: VendorId;
  label: string;
  parts: DigestPart[];
  requests: number;
  /** The numbers behind the parts, for --json and for tests. */
  data: Record<string, unknown>;
}

export interface DigestInput {
  week: Window;
  previousWeek: Window;
  staleDays: number;
  now: Date;
}

export interface DigestReport {
  generatedAt: string;
  timeZone: string;
  week: Window;
  previousWeek: Window;
  sections: VendorDigest[];
}

/** Week-on-week change in percent, one decimal; null when there is nothing to compare with. */
export function changePercent(now: number, before: number): number | null {
  if (before === 0) return now === 0 ? 0 : null;
  return Math.round(((now - before) / before) * 1000) / 10;
}
