import type { DigestInput, VendorDigest } from '../../domain/digest.js';
import type { OperationContext } from '../../domain/provider.js';
import { paginateCursor } from '../../http/paginate.js';
import type { Logger } from '../../log.js';
import { part } from '../digest-parts.js';
import { TRYMELLON_MAX_LIMIT, type TryMellonClient } from './client.js';
import { TRYMELLON } from './info.js';
import { HIGHLIGHTED_EVENTS, SECURITY_EVENTS } from './schemas.js';

/** Audit pages read per digest at most (10 000 events); past that the counts are marked partial. */
export const AUDIT_PAGE_LIMIT = 100;

/**
 * TryMellon's digest section: the week's audit events by type next to the week before, the security category
 * highlighted, and the month's usage. Audit logs have no date filter, so they are paged newest first until past
 * the previous week.
 */
export async function trymellonDigest(
  p: { client: TryMellonClient },
  input: DigestInput,
  ctx: OperationContext,
  logger: Logger,
): Promise<VendorDigest> {
  const call = { deadline: ctx.deadline, meter: ctx.meter };
  const data: Record<string, unknown> = {};

  const events = part('Audit events', logger, async () => {
    const week: Record<string, number> = {};
    const before: Record<string, number> = {};
    let pages = 0;
    let partial = false;
    for await (const page of auditPages(p.client, ctx)) {
      let pastWindow = false;
      for (const e of page.items) {
        const at = new Date(e.created_at).toISOString();
        if (at >= input.week.start && at < input.week.end) week[e.event] = (week[e.event] ?? 0) + 1;
        else if (at >= input.previousWeek.start && at < input.previousWeek.end)
          before[e.event] = (before[e.event] ?? 0) + 1;
        else if (at < input.previousWeek.start) pastWindow = true;
      }
      if (pastWindow) break;
      if (++pages >= AUDIT_PAGE_LIMIT) {
        partial = true;
        break;
      }
    }
    const total = (o: Record<string, number>) => Object.values(o).reduce((n, v) => n + v, 0);
    const security = (o: Record<string, number>) =>
      Object.entries(o)
        .filter(([e]) => SECURITY_EVENTS.has(e))
        .reduce((n, [, v]) => n + v, 0);
    data.auditEvents = { week, previousWeek: before, partial };
    const types = [...new Set([...Object.keys(week), ...Object.keys(before)])].sort(
      (a, b) => (week[b] ?? 0) - (week[a] ?? 0),
    );
    return {
      title: 'Audit events',
      figures: [
        { label: 'events', value: total(week), previous: total(before) },
        { label: 'security events', value: security(week), previous: security(before) },
      ],
      lines: [
        types.map((t) => `${t} ${(week[t] ?? 0).toLocaleString('en-US')}`).join(' · ') ||
          'No events in the week.',
        ...(partial
          ? [`Counts are partial: Keywarden stopped after ${AUDIT_PAGE_LIMIT} pages of audit log.`]
          : []),
      ],
      warnings: HIGHLIGHTED_EVENTS.filter((e) => (week[e] ?? 0) > 0).map(
        (e) =>
          `${e}: ${(week[e] ?? 0).toLocaleString('en-US')} this week (${(before[e] ?? 0).toLocaleString('en-US')} the week before)`,
      ),
    };
  });

  const usage = part('Usage', logger, async () => {
    const period = (input.week.days.at(-1)?.date ?? input.now.toISOString()).slice(0, 7);
    const res = await p.client.usage(period, call);
    data.usage = res.data;
    return {
      title: `Usage (${res.data.period})`,
      figures: [
        { label: 'API calls', value: res.data.api_calls },
        { label: 'active users', value: res.data.active_users },
      ],
    };
  });

  const parts = await Promise.all([events, usage]);
  return { vendor: TRYMELLON.id, label: TRYMELLON.label, parts, requests: ctx.meter.requests, data };
}

/** TryMellon's audit log, newest first, page by page (cursor pagination). */
export function auditPages(client: TryMellonClient, ctx: OperationContext) {
  const call = { deadline: ctx.deadline, meter: ctx.meter };
  return paginateCursor(async (cursor) => {
    const res = await client.auditLogs({ limit: TRYMELLON_MAX_LIMIT, starting_after: cursor }, call);
    return { items: res.data.data, hasMore: res.data.has_more, nextCursor: res.data.next_cursor };
  });
}
