import type { Clock } from '../domain/clock.js';
import { Deadline, newMeter } from '../domain/deadline.js';
import type { DigestReport, VendorDigest } from '../domain/digest.js';
import { userMessage } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { OperationContext, Provider } from '../domain/provider.js';
import { lastFullDays } from '../util/zoned.js';

/**
 * The weekly digest, without Slack types: each vendor contributes a section of parts (users, keys, sign-ins…).
 * A part that fails is "unavailable" with its reason; the rest of the digest stands.
 */

export type { DigestInput, DigestPart, DigestReport, Figure, VendorDigest } from '../domain/digest.js';
export { changePercent } from '../domain/digest.js';

export interface DigestOptions {
  clock: Clock;
  timeZone: string;
  staleDays: number;
  logger: Logger;
  /** @default 60_000 */
  deadlineMs?: number;
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
