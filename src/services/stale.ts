import { type Clock, DAY_MS } from '../domain/clock.js';
import { Deadline, newMeter } from '../domain/deadline.js';
import { userMessage } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import { silentLogger } from '../domain/logger.js';
import type { Key, Progress, Provider, ReadSource, VendorId } from '../domain/provider.js';

export interface StaleSection {
  vendor: VendorId;
  label: string;
  /** Used before the cutoff, oldest first. */
  stale: Key[];
  neverUsed: Key[];
  /** Per key type: how many stale and never-used keys. */
  byType: Record<string, { stale: number; neverUsed: number }>;
  /** The stale key unused the longest (never-used keys are counted apart). */
  oldest: Key | null;
  requests: number;
  scan: 'sorted' | 'full';
  note?: string;
  meaning?: string;
  /** False where the vendor records no use, so "stale" means created long ago (see Provider.tracksUse). */
  tracksUse: boolean;
  /** Set when this vendor could not be scanned; the other sections still stand. */
  failure?: { message: string; code?: string };
  /** Where the list was read from, when it could have come from the inventory. */
  read?: ReadSource;
}

export interface StaleReport {
  days: number;
  type?: string;
  /** Set when the scan was asked of one vendor only. */
  vendor?: VendorId;
  cutoff: string;
  generatedAt: string;
  sections: StaleSection[];
  totals: { stale: number; neverUsed: number };
  /** Set when the vendors were asked whatever the inventory's age (`--live`, "Read live"). */
  live?: boolean;
}

export interface StaleScanOptions {
  days: number;
  type?: string;
  vendor?: VendorId;
  clock: Clock;
  /** Budget for the whole scan. @default 120_000 */
  deadlineMs?: number;
  logger?: Logger;
  onProgress?: (vendor: VendorId, p: Progress) => void;
  /** Ask the vendors, not the inventory (`--live`). */
  live?: boolean;
}

function summarise(stale: Key[], neverUsed: Key[]): Pick<StaleSection, 'byType' | 'oldest'> {
  const byType: StaleSection['byType'] = {};
  const bump = (k: Key, field: 'stale' | 'neverUsed') => {
    const counts = byType[k.type] ?? { stale: 0, neverUsed: 0 };
    counts[field]++;
    byType[k.type] = counts;
  };
  for (const k of stale) bump(k, 'stale');
  for (const k of neverUsed) bump(k, 'neverUsed');
  return { byType, oldest: stale[0] ?? null };
}

/**
 * Keys nobody has used in `days` days, per vendor. A vendor that fails gets a section saying so; the others are
 * still reported.
 */
export async function scanStaleKeys(
  providers: readonly Provider[],
  options: StaleScanOptions,
): Promise<StaleReport> {
  const now = options.clock.now();
  const cutoff = new Date(now.getTime() - options.days * DAY_MS);
  const deadline = Deadline.after(options.deadlineMs ?? 120_000);
  const logger = options.logger ?? silentLogger;
  const chosen = providers.filter((p) => !options.vendor || p.vendor === options.vendor);
  const sections = await Promise.all(
    chosen.map(async (provider): Promise<StaleSection> => {
      const meter = newMeter();
      try {
        const listing = await provider.listStale(
          { cutoff, type: options.type },
          {
            deadline,
            meter,
            onProgress: (p) => options.onProgress?.(provider.vendor, p),
            ...(options.live ? { live: true } : {}),
          },
        );
        return {
          vendor: provider.vendor,
          label: provider.label,
          stale: listing.stale,
          neverUsed: listing.neverUsed,
          ...summarise(listing.stale, listing.neverUsed),
          requests: meter.requests,
          scan: listing.scan,
          note: listing.note,
          meaning: listing.meaning,
          tracksUse: provider.tracksUse,
          ...(listing.read ? { read: listing.read } : {}),
        };
      } catch (err) {
        logger.error('stale scan failed', { vendor: provider.vendor, err });
        return {
          vendor: provider.vendor,
          label: provider.label,
          stale: [],
          neverUsed: [],
          byType: {},
          oldest: null,
          requests: meter.requests,
          scan: 'sorted',
          tracksUse: provider.tracksUse,
          failure: { message: userMessage(err), code: (err as { code?: string }).code },
        };
      }
    }),
  );
  return {
    days: options.days,
    type: options.type,
    vendor: options.vendor,
    cutoff: cutoff.toISOString(),
    generatedAt: now.toISOString(),
    ...(options.live ? { live: true } : {}),
    sections,
    totals: {
      stale: sections.reduce((n, s) => n + s.stale.length, 0),
      neverUsed: sections.reduce((n, s) => n + s.neverUsed.length, 0),
    },
  };
}
