import type { Key } from '../domain/provider.js';
import { lookupSourceText } from '../features/lookup/blocks.js';
import type { LookupReport } from '../services/lookup.js';
import type { StaleReport } from '../services/stale.js';
import { terminalText } from '../util/text-safety.js';
import { keyUseText, lastUseText, plural, sourceText } from '../util/time.js';

/**
 * Plain-text rendering for a terminal. Every vendor string (names, emails, types, ids, notes, error messages)
 * passes through `clean`: a key named with ANSI escape codes must not clear or retitle the admin's terminal, and
 * a bidi override must not reorder the table (see `terminalText`).
 */
export const clean = terminalText;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) =>
    Math.min(48, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))),
  );
  const cell = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => cell(c, widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function owner(k: Key): string {
  return clean(k.owner.email ?? k.owner.name ?? '?');
}

function keyRows(keys: Key[], now: Date): string[][] {
  return keys.map((k) => [
    clean(k.name),
    owner(k),
    clean(k.type),
    keyUseText(k, now).replace(/^last used /, ''),
    k.uses === null ? '-' : String(k.uses),
  ]);
}

/** `timeZone`: the one "as of" times are given in (KEYWARDEN_TIMEZONE). */
export function formatStaleReport(report: StaleReport, timeZone = 'UTC'): string {
  const now = new Date(report.generatedAt);
  const out: string[] = [];
  const typeNote = report.type ? ` of type ${clean(report.type)}` : '';
  for (const s of report.sections) {
    out.push(
      `${s.label}: keys${typeNote} unused for ${report.days}+ days (since ${report.cutoff.slice(0, 10)})`,
    );
    if (s.failure) {
      out.push(`  could not scan: ${clean(s.failure.message)}`, '');
      continue;
    }
    if (s.meaning) out.push(`  ${clean(s.meaning)}`);
    const types = Object.entries(s.byType)
      .map(([t, c]) => `${clean(t)} ${c.stale + c.neverUsed}`)
      .join(', ');
    out.push(
      `  ${plural(s.stale.length, 'stale key')}, ${plural(s.neverUsed.length, 'never-used key')}` +
        (types ? ` (${types})` : '') +
        (s.oldest ? `; oldest ${keyUseText(s.oldest, now)}` : ''),
    );
    const source = sourceText(s.read, { timeZone, now, live: report.live });
    out.push(
      s.read?.from === 'inventory'
        ? `  ${source}; --live asks ${s.label}`
        : `  ${plural(s.requests, 'request')} to ${s.label}${s.scan === 'full' ? ', full scan' : ''}${source ? `: ${clean(source)}` : ''}`,
    );
    if (s.note) out.push(`  note: ${clean(s.note)}`);
    if (s.neverUsed.length) {
      out.push(
        '',
        'Never used:',
        table(['Name', 'Owner', 'Type', 'Last used', 'Uses'], keyRows(s.neverUsed, now)),
      );
    }
    if (s.stale.length) {
      out.push(
        '',
        'Stale, oldest first:',
        table(['Name', 'Owner', 'Type', 'Last used', 'Uses'], keyRows(s.stale, now)),
      );
    }
    out.push('');
  }
  return out.join('\n');
}

export function formatLookupReport(report: LookupReport, now: Date, timeZone = 'UTC'): string {
  const out: string[] = [];
  for (const r of report.results) {
    const source = lookupSourceText(r, { timeZone, now, live: report.live });
    if (source && r.kind !== 'failed')
      out.push(
        `${r.label}: ${clean(source)}${r.read?.from === 'inventory' ? '; --live asks the vendor' : ''}`,
      );
    switch (r.kind) {
      case 'failed':
        out.push(`${r.label}: lookup failed: ${clean(r.failure.message)}`);
        break;
      case 'none':
        out.push(`${r.label}: no user matches ${JSON.stringify(clean(report.query))}.`);
        break;
      case 'ambiguous':
        out.push(
          `${r.label}: ${r.totalMatches} users match ${JSON.stringify(clean(report.query))}; be more specific, or use an email or id:`,
          table(
            ['Name', 'Email', 'Id'],
            r.matches.map((u) => [clean(u.name), clean(u.email), clean(u.id)]),
          ),
        );
        if (r.totalMatches > r.matches.length) out.push(`…and ${r.totalMatches - r.matches.length} more`);
        break;
      case 'found': {
        const { user, keys, passkeys, groups } = r.profile;
        out.push(
          `${r.label}: ${clean(user.name ?? '(no name)')} <${clean(user.email ?? '?')}>  id ${clean(user.id)}` +
            (user.status ? `  status ${clean(user.status)}` : ''),
          `Groups: ${groups.length ? groups.map((g) => clean(g.name)).join(', ') : 'none'}`,
          '',
          `Security keys (${keys.length}):`,
        );
        if (keys.length) {
          out.push(
            table(
              ['Name', 'Type', 'Status', 'Last used', 'Uses', 'Flags'],
              keys.map((k) => [
                clean(k.name),
                clean(k.type),
                clean(k.status),
                keyUseText(k, now).replace(/^last used /, ''),
                k.uses === null ? '-' : String(k.uses),
                [k.blocked ? 'blocked' : '', k.offlineAccess ? 'offline' : ''].filter(Boolean).join(',') ||
                  '-',
              ]),
            ),
          );
        }
        for (const e of r.profile.events ?? [])
          out.push(
            `  event ${clean(e.event)}${e.success === false ? ' (failed)' : ''} ${lastUseText(e.at, now)}`,
          );
        out.push('', `Passkeys (${passkeys.length}):`);
        if (passkeys.length) {
          out.push(
            table(
              ['Name', 'Relying party', 'Last used'],
              passkeys.map((p) => [
                clean(p.name),
                clean(p.relyingParty ?? '-'),
                lastUseText(p.lastUsedAt, now),
              ]),
            ),
          );
        }
      }
    }
    out.push('');
  }
  return out.join('\n');
}
