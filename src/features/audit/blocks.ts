import { actions, button, context, header, type Message, section } from '../../blocks/kit.js';
import type { Block } from '../../blocks/limits.js';
import { escapeMrkdwn, field } from '../../blocks/mrkdwn.js';
import type { AuditEvent } from '../../domain/audit.js';
import { utcMinute } from '../../util/time.js';
import { mention } from '../revocation/blocks.js';

export const ACTION_AUDIT_MORE = 'audit_more';
/** Events on one page (one section each, within Slack's 50 blocks). */
export const AUDIT_PAGE = 20;

function subjectText(subject: Record<string, unknown>): string {
  const parts = Object.entries(subject)
    .filter(([k, v]) => v !== undefined && k !== 'deleted')
    .slice(0, 8)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return field(parts.join(' · '), 400);
}

/** `/keys audit`: recent events, newest first, each with who, what and on what; "Older" for the next page. */
export function auditMessage(events: readonly AuditEvent[], days: number, more: boolean): Message {
  const blocks: Block[] = [header(`Audit trail: the last ${days} day${days === 1 ? '' : 's'}`)];
  if (events.length === 0) blocks.push(section('No event in that period.'));
  for (const e of events) {
    const who = e.actor?.user ? mention(e.actor.user) : 'Keywarden';
    blocks.push(
      section(`*#${e.seq}* ${escapeMrkdwn(e.type)} · ${who} · ${utcMinute(e.at)}\n${subjectText(e.subject)}`),
    );
  }
  const last = events.at(-1);
  if (events.length)
    blocks.push(
      context(
        `Each event is chained to the one before by its hash; check the whole trail with \`keywarden audit verify\`.`,
      ),
    );
  if (more && last)
    blocks.push(
      actions([button('Older', ACTION_AUDIT_MORE, JSON.stringify({ days, before: last.seq }))], 'audit_more'),
    );
  return { text: `Audit trail: ${events.length} events`, blocks };
}
