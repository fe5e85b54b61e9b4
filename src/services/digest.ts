import { Deadline, newMeter } from '../http/deadline.js';
import { userMessage } from '../http/errors.js';
import type { Logger } from '../log.js';
import type { OperationContext, Provider, VendorId } from '../providers/types.js';
import type { Clock } from '../util/clock.js';
import { lastFullDays, type Window } from '../util/zoned.js';

/**
 * The weekly digest, without Slack types: each vendor contributes a section of parts (users, keys, sign-ins…).
 * A part that fails is "unavailable" with its reason; the rest of the digest stands.
 */

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

export interface DigestOptions {
  clock: Clock;
  timeZone: string;
  staleDays: number;
  logger: Logger;
  /** @default 60_000 */
  deadlineMs?: number;
}

/** Runs one part, turning a failure into an "unavailable" part instead of sinking the digest. */
export async function part(
  title: string,
  logger: Logger,
  build: () => Promise<DigestPart>,
): Promise<DigestPart> {
  try {
    return await build();
  } catch (err) {
    logger.error('digest part unavailable', { part: title, err });
    return { title, unavailable: userMessage(err) };
  }
}

export function changePercent(now: number, before: number): number | null {
  if (before === 0) return now === 0 ? 0 : null;
  return Math.round(((now - before) / before) * 1000) / 10;
}

export async function buildDigest(
  providers: readonly Provider[],
  options: DigestOptions,
): Promise<DigestReport> {
  const now = options.clock.now();
  const week = lastFullDays(now.getTime(), options.timeZone);
  const previousWeek = lastFullDays(now.getTime(), options.timeZone, 7, 1);
  const deadline = Deadline.after(options.deadlineMs ?? 60_000);
  const sections = await Promise.all(
    providers.map(async (p): Promise<VendorDigest> => {
      const ctx: OperationContext = { deadline, meter: newMeter() };
      try {
        return await p.digest({ week, previousWeek, staleDays: options.staleDays, now }, ctx, options.logger);
      } catch (err) {
        options.logger.error('digest section unavailable', { vendor: p.vendor, err });
        return {
          vendor: p.vendor,
          label: p.label,
          parts: [{ title: p.label, unavailable: userMessage(err) }],
          requests: ctx.meter.requests,
          data: {},
        };
      }
    }),
  );
  return { generatedAt: now.toISOString(), timeZone: options.timeZone, week, previousWeek, sections };
}

/** True when not a single number could be produced: the only case in which a digest run fails. */
export function digestIsEmpty(report: DigestReport): boolean {
  return report.sections.every((s) => s.parts.every((p) => p.unavailable !== undefined));
}
