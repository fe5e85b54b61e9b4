import type { Key } from '../../domain/provider.js';
import { daysSince } from '../../util/time.js';

/**
 * CSV for spreadsheets. Cells that a spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`, tab or CR)
 * are prefixed with `'`, as OWASP advises against CSV injection: key and owner names come from the vendor.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A header line and one line per row, every cell through csvCell. */
export function toCsv(
  header: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>,
): string {
  return `${[header.join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\n')}\n`;
}

export function keysCsv(keys: readonly Key[], now: Date): string {
  return toCsv(
    [
      'vendor',
      'key_id',
      'name',
      'type',
      'owner_email',
      'owner_name',
      'status',
      'last_used_at',
      'days_since_use',
      'uses',
    ],
    keys.map((k) => [
      k.vendor,
      k.id,
      k.name,
      k.type,
      k.owner.email,
      k.owner.name,
      k.status,
      k.lastUsedAt === undefined ? 'not tracked' : (k.lastUsedAt ?? 'never'),
      k.lastUsedAt ? daysSince(k.lastUsedAt, now) : '',
      k.uses,
    ]),
  );
}
