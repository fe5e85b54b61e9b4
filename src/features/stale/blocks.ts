import { actions, button, context, divider, header, type Message, section } from '../../blocks/kit.js';
import type { Block } from '../../blocks/limits.js';
import { field } from '../../blocks/mrkdwn.js';
import type { Key } from '../../domain/provider.js';
import type { StaleReport } from '../../services/stale.js';
import { keyUseText, plural, sourceText } from '../../util/time.js';

/** Rows per page; with the header, summaries and controls a page stays far below Slack's 50 blocks. */
export const PAGE_SIZE = 20;

export const ACTION_STALE_NEXT = 'stale_next';
export const ACTION_STALE_CSV = 'stale_csv';
export const ACTION_STALE_LIVE = 'stale_live';

/** What a "Next 20" or "Download CSV" button carries: enough to run the same scan again. */
export interface StalePageRef {
  days: number;
  type?: string;
  vendor?: string;
  offset: number;
  /** The vendors were asked, not the inventory: the next page is read the same way. */
  live?: boolean;
}

/** Never-used keys first (they are the oldest of all), then stale keys oldest first, vendor by vendor. */
export function staleRows(report: StaleReport): Key[] {
  return report.sections.flatMap((s) => [...s.neverUsed, ...s.stale]);
}

function typeCounts(byType: Record<string, { stale: number; neverUsed: number }>): string {
  return Object.entries(byType)
    .sort(([, a], [, b]) => b.stale + b.neverUsed - (a.stale + a.neverUsed))
    .map(([t, c]) => `${field(t, 30)} ${(c.stale + c.neverUsed).toLocaleString('en-US')}`)
    .join(' · ');
}

export function keyRowText(k: Key, now: Date, showVendor: boolean): string {
  const who = k.owner.email ?? k.owner.name ?? 'unknown owner';
  const uses = k.uses === null ? '' : ` · ${plural(k.uses, 'use')}`;
  const vendor = showVendor ? ` · ${k.vendor}` : '';
  return `*${field(k.name)}* · ${field(who)}\n${field(k.type, 30)} · ${keyUseText(k, now)}${uses}${vendor}`;
}

export interface StaleRenderOptions {
  offset?: number;
  /** Shown under the list when the whole list went out as a CSV. */
  csvNote?: string;
  /** A row's accessory (the "Request revocation" button); none by default. */
  rowAccessory?: (key: Key) => Block | undefined;
  /** Keys kept out of revocation, by `vendor#id`, with the date their exemption ends. */
  exemptUntil?: ReadonlyMap<string, string>;
  /** More buttons beside the paging controls ("Request revocation of all N"). */
  extraControls?: Block[];
  /** Buttons that act on the keys of the page shown ("Exempt a key…"). */
  pageControls?: (page: readonly Key[]) => Block[];
  /** The time zone "as of" times are given in. @default UTC */
  timeZone?: string;
}

export function renderStaleReport(report: StaleReport, options: StaleRenderOptions = {}): Message {
  const now = new Date(report.generatedAt);
  const timeZone = options.timeZone ?? 'UTC';
  const rows = staleRows(report);
  const offset = Math.max(0, Math.min(options.offset ?? 0, Math.max(0, rows.length - 1)));
  const page = rows.slice(offset, offset + PAGE_SIZE);
  const only = [report.type, report.vendor].filter(Boolean);
  const typeNote = only.length ? ` (${only.join(', ')} only)` : '';
  const blocks: Block[] = [header(`Keys unused for ${report.days}+ days${typeNote}`)];

  for (const s of report.sections) {
    if (s.failure) {
      blocks.push(section(`:warning: *${s.label}*: could not scan. ${field(s.failure.message, 500)}`));
      continue;
    }
    const parts = [
      `*${s.label}*: ${plural(s.stale.length, 'stale key')}, ${s.neverUsed.length.toLocaleString('en-US')} never used`,
    ];
    const types = typeCounts(s.byType);
    if (types) parts.push(types);
    if (s.oldest) parts.push(`oldest: *${field(s.oldest.name)}*, ${keyUseText(s.oldest, now)}`);
    blocks.push(section(parts.join('\n')));
    const notes = [s.meaning, s.note].filter((n): n is string => Boolean(n)).map((n) => field(n, 500));
    const source = sourceText(s.read, { timeZone, now, live: report.live });
    const read =
      s.read?.from === 'inventory'
        ? `${s.label} ${source}`
        : `${plural(s.requests, 'request')} to ${s.label}${s.scan === 'full' ? ' (full scan)' : ''}${source ? `: ${source}` : ''}`;
    blocks.push(context(read, ...notes));
  }
  const fromInventory = report.sections.some((s) => s.read?.from === 'inventory');
  const ref = (o: number, live = report.live): string =>
    JSON.stringify({
      days: report.days,
      type: report.type,
      vendor: report.vendor,
      offset: o,
      ...(live ? { live: true } : {}),
    } satisfies StalePageRef);
  // An answer from the inventory can be asked again of the vendors, whatever the inventory's age.
  const readLive = fromInventory ? [button('Read live', ACTION_STALE_LIVE, ref(0, true))] : [];

  if (rows.length === 0) {
    if (!report.sections.some((s) => s.failure))
      blocks.push(section(':white_check_mark: Nothing stale. Every active key was used in the period.'));
    if (readLive.length) blocks.push(actions(readLive, 'stale_controls'));
    return { text: fallbackText(report), blocks };
  }

  blocks.push(divider());
  const showVendor = report.sections.length > 1;
  for (const k of page) {
    const until = options.exemptUntil?.get(`${k.vendor}#${k.id}`);
    const text =
      keyRowText(k, now, showVendor) + (until ? `\n:shield: exempt until ${until.slice(0, 10)}` : '');
    blocks.push(section(text, until ? undefined : options.rowAccessory?.(k)));
  }

  const shown = `Showing ${(offset + 1).toLocaleString('en-US')}–${(offset + page.length).toLocaleString('en-US')} of ${rows.length.toLocaleString('en-US')}, never-used first, then oldest last use first.`;
  blocks.push(context(shown, ...(options.csvNote ? [options.csvNote] : [])));
  const controls: Block[] = [];
  if (rows.length > PAGE_SIZE) {
    if (offset + PAGE_SIZE < rows.length) {
      const next = Math.min(PAGE_SIZE, rows.length - offset - PAGE_SIZE);
      controls.push(button(`Next ${next}`, ACTION_STALE_NEXT, ref(offset + PAGE_SIZE)));
    }
    if (offset > 0) controls.push(button('First page', `${ACTION_STALE_NEXT}_first`, ref(0)));
    controls.push(button('Download CSV', ACTION_STALE_CSV, ref(0)));
  }
  controls.push(...(options.extraControls ?? []));
  controls.push(...readLive);
  controls.push(
    ...(options.pageControls?.(page.filter((k) => !options.exemptUntil?.has(`${k.vendor}#${k.id}`))) ?? []),
  );
  if (controls.length) blocks.push(actions(controls, 'stale_controls'));
  return { text: fallbackText(report), blocks };
}

function fallbackText(report: StaleReport): string {
  return `Keys unused for ${report.days}+ days: ${report.totals.stale.toLocaleString('en-US')} stale, ${report.totals.neverUsed.toLocaleString('en-US')} never used`;
}
