import {
  actions,
  button,
  context,
  divider,
  header,
  input,
  type Message,
  modal,
  section,
} from '../../blocks/kit.js';
import type { Block } from '../../blocks/limits.js';
import { escapeMrkdwn, field, slackDate } from '../../blocks/mrkdwn.js';
import type { Exemption, KeyCycle, Policy } from '../../domain/policy.js';
import type { Key } from '../../domain/provider.js';
import type { PolicyRunResult } from '../../services/policy.js';
import { keyUseText, plural } from '../../util/time.js';
import { mention } from '../revocation/blocks.js';
import { requestKeyButton } from '../revocation/request-blocks.js';

export const ACTION_KEEP = 'policy_keep';
export const ACTION_SELF_REVOKE = 'policy_self_revoke';
export const ACTION_NOT_MINE = 'policy_not_mine';
export const VIEW_KEEP = 'policy_keep_modal';
export const ACTION_EXEMPT_OPEN = 'exempt_open';
export const VIEW_EXEMPT = 'exempt_modal';
/** Keys shown with their own buttons in one DM (three blocks each, within Slack's 50). */
export const MAX_KEYS_WITH_BUTTONS = 14;

/** What every owner button carries: the policy, the key and the run that asked. Nothing in it is trusted. */
export interface OwnerKeyRef {
  p: string;
  v: string;
  k: string;
  r: string;
}

function dateText(iso: string): string {
  return slackDate(iso, '{date_long}', iso.slice(0, 10));
}

/** How an answered key reads in its owner's DM. */
export function cycleStatus(cycle: KeyCycle | undefined, now: Date): string | undefined {
  if (!cycle) return undefined;
  if (cycle.state === 'kept')
    return `:white_check_mark: You are keeping it until ${dateText(cycle.keptUntil ?? '')}.`;
  if (cycle.state === 'escalated')
    return `:inbox_tray: Put up for revocation (${field(cycle.requestId ?? '', 20)}).`;
  if (cycle.state === 'cleared')
    return `:white_check_mark: Nothing to do any more (${field(cycle.clearedWhy ?? '', 80)}).`;
  if (cycle.notMineBy)
    return ':rotating_light: You reported it as not yours; the security team has been alerted.';
  if (Date.parse(cycle.dueAt) <= now.getTime()) return ':hourglass: Its grace period is over.';
  return undefined;
}

/**
 * The one DM an owner gets per run: every key of theirs the run covers, each with when it was last used, the date
 * it goes up for revocation, and what they can do about it. Updated in place as they answer.
 */
export function ownerNotice(input: {
  policy: Policy;
  runId: string;
  keys: ReadonlyArray<{
    key: Pick<Key, 'vendor' | 'id' | 'name' | 'type' | 'lastUsedAt' | 'createdAt'>;
    label: string;
    cycle?: KeyCycle;
  }>;
  dueAt: string;
  now: Date;
}): Message {
  const { policy, keys, now } = input;
  const blocks: Block[] = [
    header('Keys of yours that look unused'),
    section(
      `Keywarden's policy *${field(policy.name, 60)}* found ${plural(keys.length, 'key')} registered to you that ${keys.length === 1 ? 'has' : 'have'} not been used for ${policy.idleDays}+ days. ` +
        (policy.then === 'request_revocation'
          ? `Unless you keep ${keys.length === 1 ? 'it' : 'them'}, ${keys.length === 1 ? 'it goes' : 'they go'} up for revocation on ${dateText(input.dueAt)} (two admins must approve).`
          : 'Nothing is revoked automatically; the security team sees the list.'),
    ),
  ];
  const shown = keys.slice(0, MAX_KEYS_WITH_BUTTONS);
  for (const { key, label, cycle } of shown) {
    const ref: OwnerKeyRef = { p: policy.name, v: key.vendor, k: key.id, r: input.runId };
    const value = JSON.stringify(ref);
    const status = cycleStatus(cycle, now);
    blocks.push(divider());
    blocks.push(
      section(
        `*${field(key.name, 80)}* · ${escapeMrkdwn(label)} ${field(key.type, 20)} · ${keyUseText(key, now)}`,
      ),
    );
    if (status) {
      blocks.push(context(status));
      continue;
    }
    const buttons: Block[] = [button('Keep it', ACTION_KEEP, value, { style: 'primary' })];
    if (policy.ownerMayRevoke)
      buttons.push(
        button('Revoke it now', ACTION_SELF_REVOKE, value, {
          style: 'danger',
          confirm: {
            title: 'Revoke this key?',
            text: `${key.name} will be deleted from ${label}. You will have to enrol it again to use it. This cannot be undone.`,
            confirm: 'Revoke',
            deny: 'Cancel',
          },
        }),
      );
    buttons.push(
      button('Not mine', ACTION_NOT_MINE, value, {
        confirm: {
          title: 'Not your key?',
          text: 'The security team will be alerted that a key registered to you is not yours.',
          confirm: 'Alert them',
          deny: 'Cancel',
        },
      }),
    );
    blocks.push(actions(buttons, `owner_${key.vendor}_${key.id}`.slice(0, 255)));
  }
  if (keys.length > shown.length) {
    const rest = keys
      .slice(shown.length, shown.length + 30)
      .map(({ key, label }) => `• ${field(key.name, 60)} (${escapeMrkdwn(label)})`);
    blocks.push(
      divider(),
      section(
        `…and ${keys.length - shown.length} more:\n${rest.join('\n')}\nAsk a Keywarden admin to keep any of these (\`/keys exempt\`).`,
      ),
    );
  }
  return { text: `Keywarden: ${plural(keys.length, 'key')} of yours look unused`, blocks };
}

/** The modal "Keep it" opens: a reason and a period. */
export function keepModal(ref: OwnerKeyRef & { c: string }, keyName: string): Record<string, unknown> {
  return modal({
    callback_id: VIEW_KEEP,
    private_metadata: JSON.stringify(ref),
    title: { type: 'plain_text', text: 'Keep this key' },
    submit: { type: 'plain_text', text: 'Keep it' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(
        `You are keeping *${field(keyName, 80)}*. Keywarden will not ask about it again until the period ends.`,
      ),
      input({
        type: 'input',
        block_id: 'reason',
        label: { type: 'plain_text', text: 'Why do you still need it?' },
        element: { type: 'plain_text_input', action_id: 'value', min_length: 3, max_length: 300 },
      }),
      input({
        type: 'input',
        block_id: 'days',
        label: { type: 'plain_text', text: 'For how long?' },
        element: {
          type: 'static_select',
          action_id: 'value',
          initial_option: { text: { type: 'plain_text', text: '90 days' }, value: '90' },
          options: [30, 90, 180].map((d) => ({
            text: { type: 'plain_text', text: `${d} days` },
            value: String(d),
          })),
        },
      }),
    ],
  });
}

/** Someone says a key registered to them is not theirs: a possible rogue authenticator. */
export function notMineAlert(input: {
  reporter: string;
  key: Key;
  label: string;
  policy: string;
  now: Date;
}): Message {
  const { key } = input;
  const text = `:rotating_light: ${mention(input.reporter)} says a ${escapeMrkdwn(input.label)} key registered to them is *not theirs*: *${field(key.name, 80)}* (${field(key.type, 20)}, id \`${field(key.id, 80)}\`), ${keyUseText(key, input.now)}. Found by policy *${field(input.policy, 60)}*.`;
  return {
    text: `Security alert: a key reported as not its owner's (${key.name})`,
    blocks: [
      header('Security alert: unrecognised key'),
      section(text),
      context(
        'A key its owner does not recognise may be a rogue authenticator. Request its revocation and look into who registered it.',
      ),
      actions([requestKeyButton(key)]),
    ],
  };
}

/** The plan and what the run did, as lines of plain text (the CLI prints them; Slack shows them in a code block). */
export function planLines(result: PolicyRunResult, labelOf: (vendor: string) => string): string[] {
  const { plan } = result;
  const p = plan.policy;
  const keyText = (k: Pick<Key, 'vendor' | 'name' | 'id'>) => `${labelOf(k.vendor)} ${k.name} (${k.id})`;
  const lines = [
    `Policy ${p.name}${result.dryRun ? ' (DRY RUN: nothing written, nothing sent)' : ''}: ${p.vendors?.join(', ') ?? 'every vendor'}, idle ${p.idleDays}+ days, grace ${p.graceDays} days, then ${p.then}`,
    `  keys matched: ${plan.matched.length}`,
  ];
  for (const f of plan.failures)
    lines.push(`  could not scan ${f.label}: ${f.message} (nothing of it cleared or escalated)`);
  lines.push(
    `  owners to notify: ${plan.notify.length}${p.notifyOwner ? '' : ' (notify_owner is off: no DMs)'}`,
  );
  for (const g of plan.notify.slice(0, 200))
    lines.push(`    ${g.ownerEmail ?? '(no email)'}: ${g.keys.map(keyText).join(', ')}`);
  if (plan.notify.length > 200) lines.push(`    …and ${plan.notify.length - 200} more owners`);
  if (plan.unknownOwners.length) {
    lines.push(`  owners not found in Slack (tell them another way): ${plan.unknownOwners.length}`);
    for (const g of plan.unknownOwners.slice(0, 200))
      lines.push(`    ${g.ownerEmail ?? '(no owner email)'}: ${g.keys.map(keyText).join(', ')}`);
  }
  const escalateVerb =
    p.then === 'request_revocation' ? 'keys escalated' : 'keys past their grace (report only)';
  lines.push(
    `  ${escalateVerb}: ${result.dryRun || p.then === 'report' ? plan.escalate.length : result.escalated}`,
  );
  for (const e of plan.escalate.slice(0, 200))
    lines.push(`    ${keyText(e.key)}, notified ${e.cycle.notifiedAt.slice(0, 10)}`);
  for (const r of result.requests)
    lines.push(`    request ${r.request.id}: ${plural(r.keys.length, 'key')}, waiting for two approvers`);
  lines.push(`  cycles cleared: ${plan.clear.length}`);
  for (const c of plan.clear.slice(0, 200))
    lines.push(`    ${labelOf(c.cycle.vendor)} ${c.cycle.keyName} (${c.cycle.keyId}): ${c.why}`);
  const reasons = new Map<string, number>();
  for (const s of plan.skipped) {
    const why = s.why.replace(/ (until|\().*$/, '');
    reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
  lines.push(
    `  keys skipped: ${plan.skipped.length}${reasons.size ? ` (${[...reasons].map(([w, n]) => `${w}: ${n}`).join(', ')})` : ''}`,
  );
  for (const s of plan.skipped.slice(0, 200)) lines.push(`    ${keyText(s.key)}: ${s.why}`);
  return lines;
}

/** `/keys policy`: the plan, privately, as a code block per policy (each within Slack's section limit). */
export function planMessage(
  results: readonly PolicyRunResult[],
  labelOf: (vendor: string) => string,
): Message {
  const blocks: Block[] = [
    header(results.some((r) => r.dryRun) ? 'Policy plan (nothing done)' : 'Policy run'),
  ];
  for (const r of results.slice(0, 20)) {
    const text = planLines(r, labelOf).join('\n');
    blocks.push(
      section(`\`\`\`${escapeMrkdwn(text.length > 2900 ? `${text.slice(0, 2880)}\n…` : text)}\`\`\``),
    );
  }
  if (results.length === 0) blocks.push(section('No policies are defined (see `infra/policies.yml`).'));
  return { text: 'Policy plan', blocks };
}

/** `/keys exemptions`: who keeps what, until when, and why. */
export function exemptionsMessage(
  exemptions: readonly Exemption[],
  now: Date,
  labelOf: (vendor: string) => string,
): Message {
  const live = exemptions
    .filter((e) => Date.parse(e.until) > now.getTime())
    .sort((a, b) => a.until.localeCompare(b.until));
  if (live.length === 0) return { text: 'No exemptions', blocks: [section('No key is exempt right now.')] };
  const lines = live
    .slice(0, 40)
    .map(
      (e) =>
        `• ${escapeMrkdwn(labelOf(e.vendor))} *${field(e.keyName ?? e.keyId, 60)}* until ${dateText(e.until)}, by ${mention(e.grantedBy)} (${e.via}): ${field(e.reason, 120)}`,
    );
  if (live.length > 40) lines.push(`…and ${live.length - 40} more.`);
  return { text: `${live.length} exemptions`, blocks: [header('Exemptions'), section(lines.join('\n'))] };
}

/**
 * "Exempt a key…" under a stale list: the page's keys travel in the button (vendor, id, a short name), within
 * Slack's 2 000 characters for a value. The worker records nothing the admin did not pick in the modal.
 */
export function exemptButton(page: readonly Pick<Key, 'vendor' | 'id' | 'name'>[]): Block[] {
  const entries: Array<[string, string, string]> = [];
  for (const k of page) {
    const next = [...entries, [k.vendor, k.id, k.name.slice(0, 30)] as [string, string, string]];
    if (JSON.stringify(next).length > 1900) break;
    entries.push([k.vendor, k.id, k.name.slice(0, 30)]);
  }
  if (entries.length === 0) return [];
  return [button('Exempt a key…', ACTION_EXEMPT_OPEN, JSON.stringify(entries))];
}

/** The modal "Exempt a key…" opens: which key, for how long, and why. */
export function exemptModal(
  entries: ReadonlyArray<readonly [string, string, string]>,
  channel: string,
): Record<string, unknown> {
  return modal({
    callback_id: VIEW_EXEMPT,
    private_metadata: JSON.stringify({ c: channel }),
    title: { type: 'plain_text', text: 'Exempt a key' },
    submit: { type: 'plain_text', text: 'Exempt' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      input({
        type: 'input',
        block_id: 'key',
        label: { type: 'plain_text', text: 'Key' },
        element: {
          type: 'static_select',
          action_id: 'value',
          options: entries.slice(0, 100).map(([vendor, id, name]) => ({
            text: { type: 'plain_text', text: `${name} (${vendor})`.slice(0, 75) },
            value: `${vendor}#${id}`.slice(0, 150),
          })),
        },
      }),
      input({
        type: 'input',
        block_id: 'days',
        label: { type: 'plain_text', text: 'For how long?' },
        element: {
          type: 'static_select',
          action_id: 'value',
          initial_option: { text: { type: 'plain_text', text: '90 days' }, value: '90' },
          options: [30, 90, 180, 365].map((d) => ({
            text: { type: 'plain_text', text: `${d} days` },
            value: String(d),
          })),
        },
      }),
      input({
        type: 'input',
        block_id: 'reason',
        label: { type: 'plain_text', text: 'Why does it stay?' },
        element: { type: 'plain_text_input', action_id: 'value', min_length: 3, max_length: 300 },
      }),
    ],
  });
}
