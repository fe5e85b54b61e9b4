import { actions, button, context, divider, header, type Message, section } from '../../blocks/kit.js';
import type { Block } from '../../blocks/limits.js';
import { field } from '../../blocks/mrkdwn.js';
import type { Exemption } from '../../domain/policy.js';
import { changePercent, type DigestPart, type DigestReport, type Figure } from '../../services/digest.js';
import { cutText, terminalText } from '../../util/text-safety.js';

export const ACTION_DIGEST_REVIEW = 'digest_review_stale';
const BARS = '▁▂▃▄▅▆▇█';

/** ▁▂▃▅▇: one bar per value, scaled to the largest. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values
    .map((v) =>
      max === 0 ? BARS[0] : BARS[Math.min(BARS.length - 1, Math.round((v / max) * (BARS.length - 1)))],
    )
    .join('');
}

function change(f: Figure): string {
  if (f.previous === undefined) return '';
  const pct = changePercent(f.value, f.previous);
  if (pct === null) return ' (none the week before)';
  if (f.previous === 0) return ' (no change)';
  const arrow = pct > 0 ? '▲' : pct < 0 ? '▼' : '=';
  return ` (${arrow} ${Math.abs(pct)}% from ${f.previous.toLocaleString('en-US')})`;
}

/** How a part is shown, in Slack or in a terminal: how vendor strings are made safe, and the markup. */
interface PartStyle {
  text: (vendorText: string, max: number) => string;
  bold: (safeText: string) => string;
  code: (safeText: string) => string;
  warning: string;
}

const SLACK_STYLE: PartStyle = {
  text: field,
  bold: (t) => `*${t}*`,
  code: (t) => `\`${t}\``,
  warning: ':warning: ',
};
/** A terminal has no markup: vendor strings only lose controls, escape sequences and invisible characters. */
const TERMINAL_STYLE: PartStyle = {
  text: (t, max) => cutText(terminalText(t), max),
  bold: (t) => t,
  code: (t) => t,
  warning: 'warning: ',
};

function partText(p: DigestPart, style: PartStyle = SLACK_STYLE): string {
  const { text, bold, code } = style;
  if (p.unavailable) return `${bold(text(p.title, 60))}: unavailable. ${text(p.unavailable, 300)}`;
  const figures = (p.figures ?? [])
    .map((f) => `${f.value.toLocaleString('en-US')} ${text(f.label, 60)}${change(f)}`)
    .join(' · ');
  const lines = [`${bold(text(p.title, 60))}${figures ? `: ${figures}` : ''}`];
  if (p.series?.length) {
    lines.push(
      `${code(sparkline(p.series.map((s) => s.value)))} ${p.series.map((s) => s.value.toLocaleString('en-US')).join(' / ')}`,
    );
  }
  for (const l of p.lines ?? []) lines.push(text(l, 400));
  for (const w of p.warnings ?? []) lines.push(`${style.warning}${text(w, 400)}`);
  return lines.join('\n');
}

function range(report: DigestReport): string {
  const first = report.week.days[0]?.date ?? '';
  const last = report.week.days.at(-1)?.date ?? '';
  return `${first} to ${last}`;
}

/** The digest as a Slack message: one section per part, the stale button where a part offers it. */
export function renderDigest(
  report: DigestReport,
  options: { preview?: boolean; expiring?: readonly Exemption[] } = {},
): Message {
  const blocks: Block[] = [
    header(`${options.preview ? 'Digest preview' : 'Weekly digest'}: ${range(report)}`),
  ];
  blocks.push(
    context(
      `The 7 full days to ${report.week.days.at(-1)?.date} in ${field(report.timeZone, 60)}, next to the 7 days before.`,
    ),
  );
  const buttons: Block[] = [];
  for (const s of report.sections) {
    blocks.push(divider());
    if (report.sections.length > 1) blocks.push(section(`*${s.label}*`));
    for (const p of s.parts) {
      blocks.push(section(partText(p)));
      if (p.reviewStale && p.reviewStale.count > 0 && buttons.length < 5) {
        buttons.push(
          button(
            `Review stale keys (${p.reviewStale.count.toLocaleString('en-US')})`,
            `${ACTION_DIGEST_REVIEW}_${buttons.length}`,
            JSON.stringify({ days: p.reviewStale.days, offset: 0 }),
            { style: 'primary' },
          ),
        );
      }
    }
    blocks.push(context(`${s.requests} requests to ${s.label}`));
  }
  if (options.expiring?.length) {
    const lines = options.expiring
      .slice(0, 10)
      .map(
        (e) =>
          `• ${field(e.keyName ?? e.keyId, 60)} (${field(e.vendor, 20)}) on ${e.until.slice(0, 10)}: ${field(e.reason, 100)}`,
      );
    if (options.expiring.length > 10)
      lines.push(`…and ${options.expiring.length - 10} more (\`/keys exemptions\`).`);
    blocks.push(divider(), section(`*Exemptions ending in the coming week*\n${lines.join('\n')}`));
  }
  if (buttons.length) blocks.push(actions(buttons, 'digest_actions'));
  const capped =
    blocks.length > 50
      ? [
          ...blocks.slice(0, 48),
          context('…the rest did not fit in one message; run keywarden digest for all of it.'),
          blocks.at(-1) as Block,
        ]
      : blocks;
  return {
    text: `${options.preview ? 'Digest preview' : 'Weekly digest'}: ${range(report)}`,
    blocks: capped,
  };
}

/** The same digest as plain text, for the terminal. */
export function digestText(report: DigestReport): string {
  const out = [`Weekly digest: ${range(report)} (${terminalText(report.timeZone)})`, ''];
  for (const s of report.sections) {
    out.push(`${s.label} (${s.requests} requests)`);
    for (const p of s.parts) out.push(`  ${partText(p, TERMINAL_STYLE).split('\n').join('\n    ')}`);
    out.push('');
  }
  return out.join('\n');
}
