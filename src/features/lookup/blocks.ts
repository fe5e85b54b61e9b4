import { actions, button, context, divider, header, type Message, section } from '../../blocks/kit.js';
import type { Block } from '../../blocks/limits.js';
import { field } from '../../blocks/mrkdwn.js';
import type { Key } from '../../domain/provider.js';
import type { LookupReport, VendorLookup } from '../../services/lookup.js';
import { keyUseText, lastUseText, plural, sourceText } from '../../util/time.js';

/** Keys listed per person; more than that is unusual and summarised. */
export const MAX_KEY_ROWS = 15;
const MAX_PASSKEY_LINES = 10;

export const ACTION_LOOKUP_LIVE = 'lookup_live';

function keyLine(k: Key, now: Date): string {
  const flags = [k.blocked ? ':no_entry: blocked' : '', k.offlineAccess ? 'offline access' : '']
    .filter(Boolean)
    .join(' · ');
  const uses = k.uses === null ? '' : ` · ${plural(k.uses, 'use')}`;
  return `*${field(k.name)}* · ${field(k.type, 30)} · ${field(k.status, 20)}\n${keyUseText(k, now)}${uses}${flags ? ` · ${flags}` : ''}`;
}

export interface LookupRenderOptions {
  rowAccessory?: (key: Key) => Block | undefined;
  /** The time zone "as of" times are given in. @default UTC */
  timeZone?: string;
}

/**
 * Where a vendor's answer came from. A person found in the inventory is then read from the vendor, so their keys
 * are live even when the match was not.
 */
export function lookupSourceText(
  r: VendorLookup,
  options: { timeZone: string; now: Date; live?: boolean },
): string | undefined {
  const text = sourceText(r.read, options);
  if (r.kind === 'found' && r.read?.from === 'inventory') return `found ${text}; keys read live`;
  return text;
}

function vendorBlocks(
  r: VendorLookup,
  query: string,
  now: Date,
  options: LookupRenderOptions & { live?: boolean },
): Block[] {
  const blocks = resultBlocks(r, query, now, options);
  const source = lookupSourceText(r, { timeZone: options.timeZone ?? 'UTC', now, live: options.live });
  return source && r.kind !== 'failed' ? [...blocks, context(`${r.label}: ${source}`)] : blocks;
}

function resultBlocks(r: VendorLookup, query: string, now: Date, options: LookupRenderOptions): Block[] {
  switch (r.kind) {
    case 'failed':
      return [section(`:warning: *${r.label}*: the lookup failed. ${field(r.failure.message, 500)}`)];
    case 'none':
      return [section(`*${r.label}*: no user matches “${field(query, 100)}”.`)];
    case 'ambiguous': {
      const lines = r.matches.map(
        (u) => `• *${field(u.name ?? '(no name)')}* · ${field(u.email ?? '')} · \`${field(u.id, 40)}\``,
      );
      const more =
        r.totalMatches > r.matches.length ? `\n…and ${r.totalMatches - r.matches.length} more.` : '';
      return [
        section(
          `*${r.label}*: ${r.totalMatches} users match “${field(query, 100)}”. Look up one of them by email or id:\n${lines.join('\n')}${more}`,
        ),
      ];
    }
    case 'found': {
      const { user, keys, passkeys, groups } = r.profile;
      const lastUse = keys
        .map((k) => k.lastUsedAt)
        .filter((t): t is string => t !== null)
        .sort()
        .at(-1);
      const out: Block[] = [
        section(
          [
            `*${r.label}*: *${field(user.name ?? '(no name)')}* · ${field(user.email ?? '')}`,
            `id \`${field(user.id, 40)}\`${user.status ? ` · status ${field(user.status, 20)}` : ''}`,
            `groups: ${groups.length ? groups.map((g) => field(g.name, 40)).join(', ') : 'none'}`,
            `most recent key use: ${lastUseText(lastUse, now)}`,
          ].join('\n'),
        ),
        context(
          `${plural(keys.length, 'security key')} · ${plural(passkeys.length, 'passkey')} · ${plural(r.requests, 'request')}`,
        ),
      ];
      for (const k of keys.slice(0, MAX_KEY_ROWS))
        out.push(section(keyLine(k, now), options.rowAccessory?.(k)));
      if (keys.length > MAX_KEY_ROWS)
        out.push(context(`…and ${keys.length - MAX_KEY_ROWS} more keys (use the CLI with --json for all).`));
      const events = r.profile.events ?? [];
      if (events.length) {
        const lines = events
          .slice(0, MAX_PASSKEY_LINES)
          .map(
            (e) =>
              `• ${field(e.event, 60)}${e.success === false ? ' (failed)' : ''} · ${lastUseText(e.at, now)}`,
          );
        out.push(section(`*Recent events*\n${lines.join('\n')}`));
      }
      if (passkeys.length) {
        const lines = passkeys
          .slice(0, MAX_PASSKEY_LINES)
          .map(
            (p) =>
              `• *${field(p.name)}*${p.relyingParty ? ` · ${field(p.relyingParty, 60)}` : ''} · last used ${lastUseText(p.lastUsedAt, now)}`,
          );
        if (passkeys.length > MAX_PASSKEY_LINES)
          lines.push(`…and ${passkeys.length - MAX_PASSKEY_LINES} more.`);
        out.push(section(`*Passkeys*\n${lines.join('\n')}`));
      }
      return out;
    }
  }
}

export function renderLookup(report: LookupReport, now: Date, options: LookupRenderOptions = {}): Message {
  const blocks: Block[] = [header(`User lookup: ${report.query}`)];
  report.results.forEach((r, i) => {
    if (i > 0) blocks.push(divider());
    blocks.push(...vendorBlocks(r, report.query, now, { ...options, live: report.live }));
  });
  // An answer from the inventory can be asked again of the vendors, whatever the inventory's age.
  const readLive = report.results.some((r) => r.read?.from === 'inventory')
    ? [
        actions(
          [button('Read live', ACTION_LOOKUP_LIVE, JSON.stringify({ q: report.query }))],
          'lookup_controls',
        ),
      ]
    : [];
  const found = report.results.find((r) => r.kind === 'found');
  // The notification text is mrkdwn and can notify, so the vendor's email goes through `field` here too.
  const text = `User lookup: ${field(found?.kind === 'found' ? (found.profile.user.email ?? found.profile.user.id) : report.query, 100)}`;
  // Several vendors with many keys each could pass 50 blocks: keep the head and say what was cut.
  if (blocks.length + readLive.length > 50)
    return {
      text,
      blocks: [
        ...blocks.slice(0, 48 - readLive.length),
        context('…more than fits in one message; use the CLI with --json.'),
        ...readLive,
      ],
    };
  return { text, blocks: [...blocks, ...readLive] };
}
