import type { z } from 'zod';
import { DAY_MS } from '../../domain/clock.js';
import type { DigestInput, DigestPart, VendorDigest } from '../../domain/digest.js';
import { changePercent } from '../../domain/digest.js';
import type { OperationContext, Provider } from '../../domain/provider.js';
import { collectSkipParallel } from '../../http/paginate.js';
import type { Logger } from '../../log.js';
import { mapLimit } from '../../util/concurrency.js';
import { utcMinute } from '../../util/time.js';
import type { Day } from '../../util/zoned.js';
import { part } from '../digest-parts.js';
import type { IdmelonClient } from './client.js';
import { ACTION_AUTHENTICATION, KEY_STATUS_ACTIVE } from './client.js';
import { IDMELON } from './info.js';
import { keyTypeCounts, type logEntrySchema } from './schemas.js';

/** Sign-ins read one by one to count failures, at most; above that the count is skipped, not guessed. */
export const FAILURE_SCAN_LIMIT = 2_000;
/** Relying parties counted exactly (by the `rp` filter), the busiest first. */
export const TOP_RELYING_PARTIES = 3;
/** An Admin API key that expires sooner than this is flagged. */
export const KEY_EXPIRY_WARNING_DAYS = 14;
/** Log entries fetched per day; they also reveal which relying parties are in use. */
const DAY_SAMPLE = 100;

type LogEntry = z.infer<typeof logEntrySchema>;

const USER_COUNTERS: Array<[string, string]> = [
  ['activeTokens', 'active'],
  ['pendingTokens', 'pending'],
  ['blockTokens', 'blocked'],
  ['notInvitedTokens', 'not invited'],
  ['noDeviceTokens', 'without a device'],
];

/** `to` is inclusive in IDmelon's API; our days end exclusively, so the last millisecond is the bound. */
const inclusiveEnd = (end: string) => new Date(Date.parse(end) - 1).toISOString();

/** "loginsLast7Days" → "logins last 7 days" (it follows its number: "1,905 logins last 7 days"). */
export function readableLabel(key: string): string {
  return key
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z])([A-Z0-9])/g, '$1 $2')
    .replace(/([0-9])([A-Za-z])/g, '$1 $2')
    .replace(/\s+/g, ' ')
    .toLowerCase()
    .trim();
}

/** Every numeric leaf of an undocumented statistics object, with a readable label. */
export function numericFields(value: unknown, prefix = ''): Array<{ label: string; value: number }> {
  if (typeof value === 'number' && Number.isFinite(value))
    return [{ label: readableLabel(prefix || 'value'), value }];
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
      numericFields(v, prefix ? `${prefix} ${k}` : k),
    );
  }
  return [];
}

/**
 * IDmelon's digest section. Counts come from `total` with `limit=1` wherever possible, per-day and per-relying-party
 * figures from the date-range and `rp` filters; the only paging is the stale scan (about one request per 100 stale
 * keys) and, for small workspaces, counting failed sign-ins.
 */
export async function idmelonDigest(
  p: Pick<Provider, 'listStale'> & { client: IdmelonClient },
  input: DigestInput,
  ctx: OperationContext,
  logger: Logger,
): Promise<VendorDigest> {
  const client = p.client;
  const call = { deadline: ctx.deadline, meter: ctx.meter };
  const data: Record<string, unknown> = {};

  const users = part('Users', logger, async () => {
    const page = await client.listUsers({ limit: 1, skip: 0 }, call);
    const d = (page.details ?? {}) as Record<string, number | undefined>;
    data.users = { total: page.total, ...page.details };
    return {
      title: 'Users',
      figures: [
        { label: 'users', value: page.total },
        ...USER_COUNTERS.filter(([k]) => typeof d[k] === 'number').map(([k, label]) => ({
          label,
          value: d[k] as number,
        })),
      ],
    };
  });

  const keys = part('Keys', logger, async () => {
    const cutoff = new Date(input.now.getTime() - input.staleDays * DAY_MS);
    const listing = await (ctx.listStale ? ctx.listStale({ cutoff }) : p.listStale({ cutoff }, ctx));
    // Stale keys listed from Keywarden's inventory carry no vendor totals: one request (limit 1) brings them.
    let inventory = listing.inventory;
    if (!inventory && listing.read?.from === 'inventory') {
      const page = await client.listSecurityKeys(
        { status: KEY_STATUS_ACTIVE, sort: 'lastActivity,ascend', limit: 1, skip: 0 },
        call,
      );
      const byType = keyTypeCounts(page.statistics);
      if (byType) inventory = { total: page.total, byType };
    }
    const asOf =
      listing.read?.from === 'inventory' && listing.read.asOf
        ? [`Idle and never-used counts from Keywarden's inventory, as of ${utcMinute(listing.read.asOf)}.`]
        : [];
    data.keys = {
      total: inventory?.total,
      byType: inventory?.byType,
      stale: listing.stale.length,
      neverUsed: listing.neverUsed.length,
    };
    const byType = Object.entries(inventory?.byType ?? {}).sort(([, a], [, b]) => b - a);
    return {
      title: 'Keys',
      figures: [
        ...(inventory ? [{ label: 'active keys', value: inventory.total }] : []),
        ...byType.map(([type, n]) => ({ label: type, value: n })),
        { label: `idle ${input.staleDays}+ days`, value: listing.stale.length },
        { label: 'never used', value: listing.neverUsed.length },
      ],
      lines: [
        ...(inventory ? [] : ['The breakdown by type is unavailable: IDmelon sent no readable statistics.']),
        ...asOf,
      ],
      reviewStale: { days: input.staleDays, count: listing.stale.length + listing.neverUsed.length },
    };
  });

  const signIns = part('Sign-ins', logger, async () => {
    const dayQuery = (day: Day, limit: number, skip = 0) =>
      client.activityLogs(
        { action: ACTION_AUTHENTICATION, from: day.start, to: inclusiveEnd(day.end), limit, skip },
        call,
      );
    const [days, lastWeek] = await Promise.all([
      Promise.all(input.week.days.map((d) => dayQuery(d, DAY_SAMPLE))),
      client.activityLogs(
        {
          action: ACTION_AUTHENTICATION,
          from: input.previousWeek.start,
          to: inclusiveEnd(input.previousWeek.end),
          limit: 1,
          skip: 0,
        },
        call,
      ),
    ]);
    const perDay = input.week.days.map((d, i) => ({ date: d.date, count: days[i]?.total ?? 0 }));
    const thisWeek = perDay.reduce((n, d) => n + d.count, 0);

    // Relying parties seen in the day samples; the busiest are then counted exactly with the rp filter.
    const seen = new Map<string, { name: string; hits: number }>();
    for (const page of days) {
      for (const e of page.data) {
        const id = e.rpInfo?.id ?? e.rpInfo?.name;
        if (!id) continue;
        const entry = seen.get(id) ?? { name: e.rpInfo?.name ?? id, hits: 0 };
        entry.hits++;
        seen.set(id, entry);
      }
    }
    const candidates = [...seen.entries()]
      .sort(([, a], [, b]) => b.hits - a.hits)
      .slice(0, TOP_RELYING_PARTIES);
    const relyingParties = (
      await mapLimit(candidates, TOP_RELYING_PARTIES, async ([id, { name }]) => {
        const res = await client.activityLogs(
          {
            action: ACTION_AUTHENTICATION,
            rp: id,
            from: input.week.start,
            to: inclusiveEnd(input.week.end),
            limit: 1,
            skip: 0,
          },
          call,
        );
        return { id, name, count: res.total };
      })
    ).sort((a, b) => b.count - a.count);

    // Failures (status ≠ 1) have no filter: a day whose sample is complete needs nothing more; otherwise the rest
    // of the week is read, but only up to FAILURE_SCAN_LIMIT sign-ins.
    let failures: number | null = null;
    let failuresNote: string | undefined;
    if (thisWeek <= FAILURE_SCAN_LIMIT) {
      let count = 0;
      await mapLimit(input.week.days, 4, async (day, i) => {
        const sample = days[i];
        let entries: LogEntry[] = sample?.data ?? [];
        if (sample && sample.total > sample.data.length) {
          const { items } = await collectSkipParallel((skip, limit) =>
            dayQuery(day, limit, skip).then((r) => ({ items: r.data, total: r.total, skip })),
          );
          entries = items;
        }
        count += entries.filter((e) => e.status !== 1).length;
      });
      failures = count;
    } else {
      failuresNote = `Failed sign-ins not counted: IDmelon cannot filter by result, and ${thisWeek.toLocaleString('en-US')} sign-ins is more than the ${FAILURE_SCAN_LIMIT.toLocaleString('en-US')} Keywarden reads one by one.`;
    }

    const change = changePercent(thisWeek, lastWeek.total);
    data.signIns = {
      thisWeek,
      lastWeek: lastWeek.total,
      changePct: change,
      perDay,
      failures,
      relyingParties,
    };
    return {
      title: 'Sign-ins',
      figures: [
        { label: 'sign-ins', value: thisWeek, previous: lastWeek.total },
        ...(failures === null ? [] : [{ label: 'failed', value: failures }]),
      ],
      series: perDay.map((d) => ({ label: d.date, value: d.count })),
      lines: [
        ...(relyingParties.length
          ? [
              `Busiest: ${relyingParties.map((r) => `${r.name} ${r.count.toLocaleString('en-US')}`).join(' · ')}`,
            ]
          : []),
        ...(failuresNote ? [failuresNote] : []),
      ],
    } satisfies DigestPart;
  });

  const statistics = (['users', 'securitykeys', 'groups', 'login'] as const).map((kind) => {
    const title = `Statistics: ${kind === 'securitykeys' ? 'security keys' : kind}`;
    return part(title, logger, async () => {
      const raw = await client.statistics(
        kind,
        kind === 'login' ? { timezone: input.week.timeZone } : {},
        call,
      );
      const fields = numericFields(raw);
      const stats = (data.statistics as Record<string, unknown> | undefined) ?? {};
      stats[kind] = raw;
      data.statistics = stats;
      return { title, figures: fields, lines: fields.length ? [] : ['No numbers in this answer.'] };
    });
  });

  const credential = part('Admin API keys', logger, async () => {
    const list = await client.workspaceApiKeys(call);
    const now = input.now.getTime();
    const expiring = list.data
      .filter((k) => (k.type ?? '').toLowerCase() === 'admin')
      .map((k) => ({ name: k.name ?? '(unnamed)', expiresAt: k.expiresAt ?? k.expirationDate ?? null }))
      .filter((k): k is { name: string; expiresAt: string } => k.expiresAt !== null)
      .map((k) => ({ ...k, daysLeft: Math.floor((Date.parse(k.expiresAt) - now) / DAY_MS) }))
      .filter((k) => k.daysLeft < KEY_EXPIRY_WARNING_DAYS);
    data.adminKeysExpiring = expiring;
    return {
      title: 'Admin API keys',
      lines: expiring.length ? [] : [`No Admin API key expires within ${KEY_EXPIRY_WARNING_DAYS} days.`],
      warnings: expiring.map((k) =>
        k.daysLeft < 0
          ? `Admin API key “${k.name}” expired ${-k.daysLeft} days ago. If Keywarden uses it, rotate it: reset it in the Admin Panel, then update the secret.`
          : `Admin API key “${k.name}” expires in ${k.daysLeft} days (${k.expiresAt.slice(0, 10)}). If Keywarden uses it, rotate it: reset it in the Admin Panel, then update the secret.`,
      ),
    };
  });

  const parts = await Promise.all([users, keys, signIns, ...statistics, credential]);
  return { vendor: IDMELON.id, label: IDMELON.label, parts, requests: ctx.meter.requests, data };
}
