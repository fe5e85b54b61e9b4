import {
  actions,
  button,
  context,
  divider,
  header,
  homeTab,
  input,
  modal,
  section,
} from '../../blocks/kit.js';
import type { Block } from '../../blocks/limits.js';
import { escapeMrkdwn, field, slackDate } from '../../blocks/mrkdwn.js';
import type { PostureSnapshot } from '../../domain/home.js';
import { keyUseText, plural } from '../../util/time.js';
import { sparkline } from '../digest/blocks.js';
import { ACTION_KEEP, ACTION_NOT_MINE, ACTION_SELF_REVOKE } from '../policy/blocks.js';
import { criterionText, decisionButtons, mention } from '../revocation/blocks.js';
import type { HomeData } from './data.js';

export const ACTION_HOME_SCAN = 'home_scan';
export const ACTION_HOME_DIGEST = 'home_digest';
export const ACTION_HOME_LOOKUP = 'home_lookup';
export const ACTION_HOME_REFRESH = 'home_refresh';
export const VIEW_HOME_SCAN = 'home_scan_modal';
export const VIEW_HOME_LOOKUP = 'home_lookup_modal';
/** A Home tab holds 100 blocks; every part below is capped so the whole stays within that. */
const MAX_HOME_BLOCKS = 100;

function when(iso: string): string {
  return slackDate(iso, '{date_short_pretty} at {time}', iso.slice(0, 16));
}

/** Per vendor: the latest counts, and the trend of stale keys over the snapshots kept. */
function postureLines(posture: readonly PostureSnapshot[]): string[] {
  const byVendor = new Map<string, PostureSnapshot[]>();
  for (const p of posture) byVendor.set(p.vendor, [...(byVendor.get(p.vendor) ?? []), p]);
  const lines: string[] = [];
  for (const [, all] of byVendor) {
    const sorted = [...all].sort((a, b) => a.date.localeCompare(b.date));
    const latest = sorted.at(-1) as PostureSnapshot;
    const same = sorted.filter((p) => p.days === latest.days);
    const trend = same.length > 1 ? ` · trend ${sparkline(same.map((p) => p.stale + p.neverUsed))}` : '';
    lines.push(
      `*${escapeMrkdwn(latest.label)}*: ${latest.stale.toLocaleString('en-US')} stale, ${latest.neverUsed.toLocaleString('en-US')} never used (${latest.days}+ days, as of ${latest.fromInventory ? `${when(latest.at)}, from the inventory` : latest.date})${trend}`,
    );
  }
  return lines;
}

/** The next daily run after the last one: a day later. */
function nextRunText(lastAt: string): string {
  return when(new Date(Date.parse(lastAt) + 86_400_000).toISOString());
}

/** The Home tab: what waits for this person, how things stand (admins), and their own keys. */
export function homeView(data: HomeData): Record<string, unknown> {
  const blocks: Block[] = [header('Keywarden')];
  const now = data.now;

  if (data.isApprover) {
    blocks.push(section('*Waiting for your approval*'));
    if (data.waiting.length === 0) blocks.push(context('Nothing waits for you.'));
    for (const r of data.waiting.slice(0, 10)) {
      const who = r.policy ? `Policy *${field(r.policy, 40)}*` : mention(r.requester);
      const two =
        r.approvalsNeeded === 2
          ? r.firstApprover
            ? ` · approved by ${mention(r.firstApprover)}, needs one more`
            : ' · needs two approvers'
          : '';
      blocks.push(
        section(
          `*${r.id}*: ${who} asks to revoke ${plural(r.keyCount, 'key')} ${criterionText(r)}.${r.reason ? `\nReason: ${field(r.reason, 200)}` : ''}\nExpires ${when(r.validUntil)}${two}${r.dryRun ? ' · DRY RUN' : ''}`,
        ),
      );
      blocks.push(actions(decisionButtons(r), `home_approval_${r.id}`));
    }
    blocks.push(divider());
  }

  if (data.mine.length) {
    blocks.push(section('*Your open requests*'));
    blocks.push(
      section(
        data.mine
          .slice(0, 10)
          .map(
            (r) =>
              `• *${r.id}*: ${plural(r.keyCount, 'key')}, ${r.state}${r.firstApprover ? ' (one approval of two)' : ''}`,
          )
          .join('\n'),
      ),
    );
    blocks.push(divider());
  }

  if (data.isAdmin) {
    blocks.push(section('*Posture*'));
    const lines = postureLines(data.posture);
    blocks.push(
      lines.length
        ? section(lines.join('\n'))
        : context(
            'No scan has been recorded yet: run `/keys stale 90` (or wait for the digest) and it shows here.',
          ),
    );
    if (data.expiring.length) {
      blocks.push(
        section(
          `*Exemptions ending in the next 14 days*\n${data.expiring
            .slice(0, 10)
            .map(
              (e) =>
                `• ${field(e.keyName ?? e.keyId, 60)} (${field(e.vendor, 20)}) on ${e.until.slice(0, 10)}: ${field(e.reason, 80)}`,
            )
            .join('\n')}`,
        ),
      );
    }
    if (data.policies.length || data.runs.length) {
      const last = data.runs[0];
      const lastText = last
        ? `Last run ${when(last.at)}${last.dryRun ? ' (dry run)' : ''}: ${last.matched} keys matched, ${last.owners} owners told, ${last.escalated} escalated, ${last.cleared} cleared.`
        : 'No run yet.';
      blocks.push(
        section(
          `*Policies*${data.policies.length ? `: ${data.policies.map((p) => `${field(p.name, 40)} (${p.then === 'report' ? 'reports' : 'requests revocation'})`).join(', ')}` : ''}\n${lastText} ${last ? `Next run: ${nextRunText(last.at)}.` : 'They run daily.'}`,
        ),
      );
    }
    blocks.push(
      actions(
        [
          button('Scan for stale keys…', ACTION_HOME_SCAN, 'scan'),
          button('Preview the digest', ACTION_HOME_DIGEST, 'digest'),
          button('Look someone up…', ACTION_HOME_LOOKUP, 'lookup'),
        ],
        'home_quick',
      ),
    );
    blocks.push(divider());
  }

  blocks.push(section('*My keys*'));
  const mk = data.myKeys;
  if (!mk) blocks.push(context('Looking up your keys… this refreshes in a moment.'));
  else {
    if (mk.keys.length === 0)
      blocks.push(
        context(
          mk.email
            ? `No keys are registered to ${field(mk.email, 80)}.`
            : 'Slack shows no email for you, so Keywarden cannot tell which keys are yours.',
        ),
      );
    const room = MAX_HOME_BLOCKS - blocks.length - 3;
    const perKey = 2;
    for (const k of mk.keys.slice(0, Math.max(0, Math.floor(room / perKey)))) {
      blocks.push(
        section(
          `*${field(k.name, 80)}* · ${field(k.vendor, 20)} ${field(k.type, 20)} · ${keyUseText(k, now)}`,
        ),
      );
      const cycle = mk.cycles.find((c) => c.vendor === k.vendor && c.keyId === k.id);
      if (cycle) {
        const value = JSON.stringify({ p: cycle.policy, v: k.vendor, k: k.id, r: cycle.runId });
        const buttons: Block[] = [button('Keep it', ACTION_KEEP, value, { style: 'primary' })];
        if (cycle.ownerMayRevoke)
          buttons.push(
            button('Revoke it now', ACTION_SELF_REVOKE, value, {
              style: 'danger',
              confirm: {
                title: 'Revoke this key?',
                text: `${k.name} will be deleted. This cannot be undone.`,
                confirm: 'Revoke',
                deny: 'Cancel',
              },
            }),
          );
        buttons.push(button('Not mine', ACTION_NOT_MINE, value));
        blocks.push(actions(buttons, `home_key_${k.vendor}_${k.id}`.slice(0, 255)));
      } else blocks.push(context(' '));
    }
    if (mk.failed.length)
      blocks.push(
        context(`Could not ask ${mk.failed.map((f) => escapeMrkdwn(f)).join(', ')}; shown as last known.`),
      );
    blocks.push(context(`As of ${when(mk.at)}.`));
  }
  blocks.push(actions([button('Refresh', ACTION_HOME_REFRESH, 'refresh')], 'home_refresh'));
  return homeTab({ blocks: blocks.slice(0, MAX_HOME_BLOCKS) });
}

/** "Scan for stale keys…": how many days. */
export function scanModal(): Record<string, unknown> {
  return modal({
    callback_id: VIEW_HOME_SCAN,
    title: { type: 'plain_text', text: 'Scan for stale keys' },
    submit: { type: 'plain_text', text: 'Scan' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      input({
        type: 'input',
        block_id: 'days',
        label: { type: 'plain_text', text: 'Keys unused for at least (days)' },
        element: {
          type: 'number_input',
          action_id: 'value',
          is_decimal_allowed: false,
          min_value: '1',
          max_value: '3650',
          initial_value: '90',
        },
      }),
    ],
  });
}

/** "Look someone up…": an email, an id or a name. */
export function lookupModal(): Record<string, unknown> {
  return modal({
    callback_id: VIEW_HOME_LOOKUP,
    title: { type: 'plain_text', text: 'Look someone up' },
    submit: { type: 'plain_text', text: 'Look up' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      input({
        type: 'input',
        block_id: 'query',
        label: { type: 'plain_text', text: 'Email, user id or name' },
        element: { type: 'plain_text_input', action_id: 'value', max_length: 200 },
      }),
    ],
  });
}
