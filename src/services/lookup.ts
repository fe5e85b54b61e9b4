import { Deadline, newMeter } from '../domain/deadline.js';
import { userMessage } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import { silentLogger } from '../domain/logger.js';
import type {
  Progress,
  Provider,
  ReadSource,
  UserProfile,
  UserSummary,
  VendorId,
} from '../domain/provider.js';

/** How many candidates an ambiguous lookup lists before saying "and N more". */
export const MAX_CANDIDATES = 10;

/** Where the matches were read from, when they could have come from the inventory (the profile is always live). */
type ReadFrom = { read?: ReadSource };

export type VendorLookup = ReadFrom &
  (
    | { vendor: VendorId; label: string; kind: 'found'; profile: UserProfile; requests: number }
    | {
        vendor: VendorId;
        label: string;
        kind: 'ambiguous';
        matches: UserSummary[];
        totalMatches: number;
        requests: number;
      }
    | { vendor: VendorId; label: string; kind: 'none'; requests: number }
    | {
        vendor: VendorId;
        label: string;
        kind: 'failed';
        failure: { message: string; code?: string };
        requests: number;
      }
  );

export interface LookupReport {
  query: string;
  results: VendorLookup[];
  /** Set when the vendors were asked whatever the inventory's age (`--live`, "Read live"). */
  live?: boolean;
}

export interface LookupOptions {
  /** @default 30_000 */
  deadlineMs?: number;
  logger?: Logger;
  onProgress?: (vendor: VendorId, p: Progress) => void;
  /** Ask the vendors, not the inventory (`--live`). */
  live?: boolean;
}

/**
 * One person's keys, passkeys and groups. The query is an email, a user id, or part of a name; several matches
 * give a short list to choose from, none gives "no user matches".
 */
export async function lookupUser(
  providers: readonly Provider[],
  query: string,
  options: LookupOptions = {},
): Promise<LookupReport> {
  const deadline = Deadline.after(options.deadlineMs ?? 30_000);
  const logger = options.logger ?? silentLogger;
  const results = await Promise.all(
    providers.map(async (provider): Promise<VendorLookup> => {
      const meter = newMeter();
      let read: ReadSource | undefined;
      const base = () => ({ vendor: provider.vendor, label: provider.label, ...(read ? { read } : {}) });
      const ctx = {
        deadline,
        meter,
        onProgress: (p: Progress) => options.onProgress?.(provider.vendor, p),
        onRead: (s: ReadSource) => {
          read = s;
        },
        ...(options.live ? { live: true } : {}),
      };
      try {
        const matches = await provider.findUsers(query, ctx);
        const only = matches[0];
        if (!only) return { ...base(), kind: 'none', requests: meter.requests };
        if (matches.length > 1) {
          return {
            ...base(),
            kind: 'ambiguous',
            matches: matches.slice(0, MAX_CANDIDATES),
            totalMatches: matches.length,
            requests: meter.requests,
          };
        }
        const profile = await provider.userProfile(only.id, ctx);
        return { ...base(), kind: 'found', profile, requests: meter.requests };
      } catch (err) {
        logger.error('user lookup failed', { vendor: provider.vendor, err });
        return {
          ...base(),
          kind: 'failed',
          failure: { message: userMessage(err), code: (err as { code?: string }).code },
          requests: meter.requests,
        };
      }
    }),
  );
  return { query, results, ...(options.live ? { live: true } : {}) };
}
