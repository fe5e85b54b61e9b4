import * as z from 'zod';
import type { KeyType, VendorCatalog, VendorId } from '../domain/vendors.js';

/**
 * The command grammar shared by Slack (`/keys stale 90 phone`) and the CLI (`keywarden keys stale 90 --type phone`).
 * Parsing never throws: any text gives a command or a usage error that names what was wrong. The vendors and key
 * types it accepts are the registry's (src/providers/registry.ts), passed in by whoever composes the bot.
 */

export type { KeyType };
export type VendorName = VendorId;

export const MIN_DAYS = 1;
export const MAX_DAYS = 3650;
export const MAX_QUERY_LENGTH = 200;

export type Command =
  | { kind: 'keys.stale'; days: number; type?: KeyType; vendor?: VendorName; live?: true }
  | { kind: 'keys.help' }
  | { kind: 'keys.digest' }
  | { kind: 'keys.policy'; policy?: string }
  | { kind: 'keys.exempt'; vendor: VendorName; keyId: string; days: number; reason: string }
  | { kind: 'keys.exemptions' }
  | { kind: 'keys.audit'; days: number }
  | { kind: 'user.lookup'; query: string; live?: true }
  | { kind: 'user.help' };

export type ParseResult = { ok: true; command: Command } | { ok: false; problem: string; usage: string };

export function keysUsage(vendors: VendorCatalog): string {
  return [
    'Usage:',
    `  /keys stale <days> [${vendors.keyTypes.join('|')}] [${vendors.ids.join('|')}] [--live]`,
    `      keys unused for <days> days (${MIN_DAYS}-${MAX_DAYS}), never-used keys too; every configured vendor unless one is named`,
    '      (--live asks the vendors instead of the inventory)',
    '  /keys digest                           preview the weekly digest',
    '  /keys policy [name]                    what the policies would do now (nothing is done)',
    '  /keys exempt <vendor>:<key-id> <days> <reason>',
    '                                         keep one key out of revocation for <days> days',
    '  /keys exemptions                       who keeps what, until when, and why',
    '  /keys audit [days]                     the audit trail of the last days (7 unless given)',
    '  /keys help                             this help',
  ].join('\n');
}

export const USER_USAGE = [
  'Usage:',
  '  /user lookup <email|id|name> [--live]   one person: keys, passkeys, groups, recent use',
  '                                         (--live asks the vendors instead of the inventory)',
  '  /user help                              this help',
].join('\n');

/** Shows a user's input back to them without letting a long paste flood the message. */
function shown(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

const daysSchema = z
  .string()
  .regex(/^\d+$/)
  .transform(Number)
  .refine((n) => n >= MIN_DAYS && n <= MAX_DAYS);

function words(text: string): string[] {
  return text.trim().split(/\s+/).filter(Boolean);
}

/**
 * `--live` anywhere among the words, taken out. Slack clients with smart punctuation turn `--` into an em or en
 * dash as it is typed, so `—live` and `–live` mean the same.
 */
function takeLive(all: string[]): { live: boolean; rest: string[] } {
  const isLive = (w: string) => /^(--|\u2014|\u2013)live$/i.test(w);
  return { live: all.some(isLive), rest: all.filter((w) => !isLive(w)) };
}

const usageError = (problem: string, usage: string): ParseResult => ({ ok: false, problem, usage });

export function parseKeysCommand(text: string, vendors: VendorCatalog): ParseResult {
  const KEYS_USAGE = keysUsage(vendors);
  const [sub, ...rest] = words(text);
  const subcommand = sub?.toLowerCase();
  if (subcommand === undefined || subcommand === 'help') return { ok: true, command: { kind: 'keys.help' } };
  if (subcommand === 'digest') {
    if (rest.length) return usageError(`unexpected ${shown(rest.join(' '))} after digest`, KEYS_USAGE);
    return { ok: true, command: { kind: 'keys.digest' } };
  }
  if (subcommand === 'policy') {
    if (rest.length > 1)
      return usageError(`unexpected ${shown(rest.slice(1).join(' '))} after the policy name`, KEYS_USAGE);
    const name = rest[0]?.toLowerCase();
    if (name !== undefined && !/^[a-z0-9-]{1,40}$/.test(name))
      return usageError(`${shown(rest[0] as string)} is not a policy name`, KEYS_USAGE);
    return { ok: true, command: { kind: 'keys.policy', ...(name ? { policy: name } : {}) } };
  }
  if (subcommand === 'exemptions') {
    if (rest.length) return usageError(`unexpected ${shown(rest.join(' '))} after exemptions`, KEYS_USAGE);
    return { ok: true, command: { kind: 'keys.exemptions' } };
  }
  if (subcommand === 'exempt') return parseExempt(rest, vendors, KEYS_USAGE);
  if (subcommand === 'audit') {
    if (rest.length > 1)
      return usageError(`unexpected ${shown(rest.slice(1).join(' '))} after the days`, KEYS_USAGE);
    if (rest[0] === undefined) return { ok: true, command: { kind: 'keys.audit', days: 7 } };
    const days = daysSchema.safeParse(rest[0]);
    if (!days.success)
      return usageError(
        `days must be a whole number from ${MIN_DAYS} to ${MAX_DAYS} (got ${shown(rest[0])})`,
        KEYS_USAGE,
      );
    return { ok: true, command: { kind: 'keys.audit', days: days.data } };
  }
  if (subcommand !== 'stale') return usageError(`unknown subcommand ${shown(sub as string)}`, KEYS_USAGE);
  const { live, rest: staleWords } = takeLive(rest);
  const [daysText, ...extra] = staleWords;
  if (daysText === undefined) return usageError('days is missing', KEYS_USAGE);
  const days = daysSchema.safeParse(daysText);
  if (!days.success) {
    return usageError(
      `days must be a whole number from ${MIN_DAYS} to ${MAX_DAYS} (got ${shown(daysText)})`,
      KEYS_USAGE,
    );
  }
  let type: KeyType | undefined;
  let vendor: VendorName | undefined;
  for (const word of extra) {
    const w = word.toLowerCase();
    const isType = vendors.vendorOfKeyType(w) !== undefined;
    const isVendor = vendors.has(w);
    if (isType && type === undefined) type = w;
    else if (isVendor && vendor === undefined) vendor = w;
    else if (isType || isVendor) return usageError(`${shown(word)} is given twice`, KEYS_USAGE);
    else {
      return usageError(
        `${shown(word)} is neither a key type (${vendors.keyTypes.join(', ')}) nor a vendor (${vendors.ids.join(', ')})`,
        KEYS_USAGE,
      );
    }
  }
  // A key type belongs to one vendor: it picks that vendor, and naming another one with it is a mistake.
  if (type) {
    const owner = vendors.vendorOfKeyType(type) as VendorId;
    if (vendor && vendor !== owner)
      return usageError(`${vendor} has no ${type} keys (${type} keys are ${owner}'s)`, KEYS_USAGE);
    vendor = owner;
  }
  return {
    ok: true,
    command: {
      kind: 'keys.stale',
      days: days.data,
      ...(type ? { type } : {}),
      ...(vendor ? { vendor } : {}),
      ...(live ? { live: true as const } : {}),
    },
  };
}

/** `/keys exempt idmelon:K123 90 break-glass key kept in the safe` */
function parseExempt(rest: string[], vendors: VendorCatalog, usage: string): ParseResult {
  const [ref, daysText, ...reasonWords] = rest;
  if (!ref) return usageError('which key is missing (<vendor>:<key-id>)', usage);
  const colon = ref.indexOf(':');
  const vendor = colon > 0 ? ref.slice(0, colon).toLowerCase() : '';
  const keyId = colon > 0 ? ref.slice(colon + 1) : '';
  if (
    !vendors.has(vendor) ||
    keyId === '' ||
    keyId.length > 200 ||
    /[\s/?#%\\]/.test(keyId) ||
    keyId === '.' ||
    keyId === '..'
  )
    return usageError(`${shown(ref)} is not <vendor>:<key-id> (vendors: ${vendors.ids.join(', ')})`, usage);
  if (daysText === undefined) return usageError('days is missing', usage);
  const days = daysSchema.safeParse(daysText);
  if (!days.success)
    return usageError(
      `days must be a whole number from ${MIN_DAYS} to ${MAX_DAYS} (got ${shown(daysText)})`,
      usage,
    );
  const reason = reasonWords.join(' ').trim();
  if (reason.length < 3) return usageError('a reason is needed (why this key stays)', usage);
  if (reason.length > 300)
    return usageError(`the reason is too long (${reason.length} characters, at most 300)`, usage);
  return { ok: true, command: { kind: 'keys.exempt', vendor, keyId, days: days.data, reason } };
}

/**
 * Slack rewrites emails as `<mailto:a@b.c|a@b.c>` when an app asks for escaped command text; take the address back.
 */
function unwrapSlackLink(text: string): string {
  return text.replace(/<mailto:([^|>]+)(?:\|[^>]*)?>/g, '$1').replace(/<([^@#!|>][^|>]*)\|([^>]*)>/g, '$2');
}

export function parseUserCommand(text: string): ParseResult {
  const [sub, ...rest] = words(text);
  const subcommand = sub?.toLowerCase();
  if (subcommand === undefined || subcommand === 'help') return { ok: true, command: { kind: 'user.help' } };
  if (subcommand !== 'lookup') return usageError(`unknown subcommand ${shown(sub as string)}`, USER_USAGE);
  const { live, rest: queryWords } = takeLive(rest);
  const query = unwrapSlackLink(queryWords.join(' ')).trim();
  if (query === '')
    return usageError('who to look up is missing (an email, a user id or part of a name)', USER_USAGE);
  if (/^[.\s]*$/.test(query))
    return usageError(`${shown(query)} is not an email, a user id or a name`, USER_USAGE);
  if (query.length > MAX_QUERY_LENGTH) {
    return usageError(
      `the lookup text is too long (${query.length} characters, at most ${MAX_QUERY_LENGTH})`,
      USER_USAGE,
    );
  }
  return { ok: true, command: { kind: 'user.lookup', query, ...(live ? { live: true as const } : {}) } };
}
