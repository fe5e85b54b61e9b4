import os from 'node:os';

/** One measured figure next to its goal. `met` is undefined where there is no goal (a comparison figure). */
export interface Row {
  measure: string;
  value: string;
  goal: string;
  met?: boolean;
}

export interface Section {
  title: string;
  setup: string;
  rows: Row[];
  notes?: string[];
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await fn();
  return { ms: performance.now() - start, result };
}

export const ms = (n: number) => `${n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US')} ms`;

export function markdownTable(rows: Row[]): string {
  const lines = ['| measure | value | goal | met |', '|---|---|---|---|'];
  for (const r of rows)
    lines.push(
      `| ${r.measure} | ${r.value} | ${r.goal} | ${r.met === undefined ? '' : r.met ? 'yes' : '**no**'} |`,
    );
  return lines.join('\n');
}

export function consoleTable(section: Section): string {
  const header = ['measure', 'value', 'goal', 'met'];
  const rows = section.rows.map((r) => [
    r.measure,
    r.value,
    r.goal,
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  return [
    `== ${section.title}`,
    `   ${section.setup}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ].join('\n');
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `Node ${process.version}, ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.arch()}`;
}

/** The nth load-generating admin: one per concurrent command, so none is coalesced or over its own cap. */
export const loadAdmin = (n: number) => `ULOAD${String(n).padStart(4, '0')}`;
