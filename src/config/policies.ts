import { readFileSync } from 'node:fs';
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import * as z from 'zod';
import type { Policy } from '../domain/policy.js';
import type { VendorCatalog } from '../domain/vendors.js';
import { ConfigError } from '../http/errors.js';

/**
 * The policy file (infra/policies.yml, or KEYWARDEN_POLICIES_FILE): which keys count as idle, whom to leave alone,
 * and what happens to them. It is read whole or not at all: one problem anywhere refuses the file, and every
 * problem is reported together, each with its line and field (`infra/policies.yml:14 idle_days: expected a whole
 * number from 1 to 3650`). Unknown fields are errors, so a misspelt `exclude` cannot silently exclude nothing.
 * Messages quote a value from the file only when it is short and plain (a vendor id, a policy name).
 */

/** One problem found in the policy file. */
export interface PolicyProblem {
  /** The line it is on (1-based); absent for a problem with the file as a whole (it cannot be read). */
  line?: number;
  /** The field, relative to its policy (`idle_days`, `exclude.owners[1]`), or a top-level path (`policies[2]`). */
  field?: string;
  message: string;
}

/** The policy file was refused; `message` holds one problem per line. */
export class PolicyFileError extends ConfigError {
  override name = 'PolicyFileError';
  constructor(
    readonly file: string,
    readonly problems: readonly PolicyProblem[],
    options?: { cause?: unknown },
  ) {
    super(problems.map((p) => formatProblem(file, p)).join('\n'), options);
  }
}

/** `file:line field: message`; a problem without a line is a sentence of its own that names the file. */
export function formatProblem(file: string, problem: PolicyProblem): string {
  if (problem.line === undefined) return problem.message;
  return `${file}:${problem.line}${problem.field ? ` ${problem.field}` : ''}: ${problem.message}`;
}

/** Far more than any real policy file; a bigger one is a mistake, and is refused before it is parsed. */
export const POLICY_FILE_MAX_BYTES = 1024 * 1024;

export interface LoadPolicyOptions {
  /** How messages name the file. @default path */
  name?: string;
}

/** Reads and validates the policy file at `path`. Throws PolicyFileError, naming the file, when it cannot be used. */
export function loadPolicyFile(
  path: string,
  vendors: VendorCatalog,
  options: LoadPolicyOptions = {},
): Policy[] {
  const name = options.name ?? path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EISDIR'
          ? 'is a directory, not a file'
          : code === 'EACCES'
            ? 'cannot be read (permission denied)'
            : `cannot be read (${code ?? 'unknown error'})`;
    throw new PolicyFileError(name, [{ message: `the policy file ${name} ${why}` }], { cause: err });
  }
  return parsePolicies(text, name, vendors);
}

/**
 * The policies in `text`, the contents of the policy file that messages call `file`, with every default filled in.
 * Throws PolicyFileError listing every problem; no policy is returned unless all of them are valid.
 */
export function parsePolicies(text: string, file: string, vendors: VendorCatalog): Policy[] {
  if (Buffer.byteLength(text, 'utf8') > POLICY_FILE_MAX_BYTES) {
    throw new PolicyFileError(file, [
      { message: `the policy file ${file} is larger than ${POLICY_FILE_MAX_BYTES / 1024 / 1024} MB` },
    ]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  // A parser error at the very end (an unclosed quote) belongs to the last line that holds anything.
  const lastOffset = Math.max(0, text.trimEnd().length - 1);
  const lineAt = (offset: number) => lineCounter.linePos(Math.min(offset, lastOffset)).line;
  if (doc.errors.length > 0) {
    throw new PolicyFileError(
      file,
      sorted(
        doc.errors.map((e) => ({ line: lineAt(e.pos[0]), message: `invalid YAML: ${plain(e.message)}` })),
      ),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    // Alias expansion beyond yaml's limit (a "billion laughs" file).
    throw new PolicyFileError(file, [{ line: 1, message: `invalid YAML: ${plain(String(err))}` }], {
      cause: err,
    });
  }
  if (data === null || data === undefined) {
    throw new PolicyFileError(file, [{ line: 1, message: 'the file is empty; expected a policies: list' }]);
  }

  const problems: PolicyProblem[] = [];
  const report = (path: readonly PropertyKey[], message: string) =>
    problems.push({ line: lineAt(offsetOf(doc, path)), field: fieldName(path), message });

  const parsed = policyFileSchema(vendors).safeParse(data, { error: () => 'is not valid' });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) report([...issue.path, key], unknownField(issue.path, key));
      } else report(issue.path, issue.message);
    }
  }
  for (const { path, message } of crossChecks(data, vendors, (path) => lineAt(offsetOf(doc, path))))
    report(path, message);
  if (problems.length > 0) throw new PolicyFileError(file, sorted(problems));
  // Without problems the parse succeeded; the check keeps the type narrow.
  return parsed.success ? parsed.data.policies.map(toPolicy) : [];
}

// ---------------------------------------------------------------------------------------------------------------
// The file's shape.

const POLICY_NAME = /^[a-z0-9-]{1,40}$/;
const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;
const USER_ID = /^[UW][A-Z0-9]{2,}$/;
/** An email, or a glob over emails: one `@`, no spaces (`alice@acme.example`, `*@contractors.example`). */
const OWNER = /^[^\s@]+@[^\s@]+$/;
const MAX_TEXT = 254;

/** Every issue on a field reads `expected <what>`, or `is required (<what>)` when the field is missing. */
function expecting(what: string) {
  return {
    error: (issue: { input?: unknown }) =>
      issue.input === undefined || issue.input === null ? `is required (${what})` : `expected ${what}`,
  };
}

/** An optional field; `field:` with nothing after it is the same as leaving the field out. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === null ? undefined : v), schema.optional());

const days = (min: number, max: number) =>
  z
    .int(expecting(`a whole number from ${min} to ${max}`))
    .min(min)
    .max(max);

const flag = z.boolean(expecting('true or false'));

const list = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item, expecting(`a list of ${what}, not empty (leave the field out instead)`)).min(1);

/** A list that may be empty: an empty exclusion excludes nothing, which is what it says. */
const anyList = <T extends z.ZodType>(item: T, what: string) => z.array(item, expecting(`a list of ${what}`));

const textField = (what: string) =>
  z
    .string(expecting(what))
    .max(MAX_TEXT)
    .refine((s) => s.trim() !== '');

const EXCLUDE_FIELDS = ['owners', 'groups', 'key_names'] as const;
const POLICY_FIELDS = [
  'name',
  'vendors',
  'types',
  'idle_days',
  'never_used_grace_days',
  'exclude',
  'notify_owner',
  'grace_days',
  'then',
  'owner_may_revoke',
  'approvals_channel',
  'approvers',
] as const;

function policyFileSchema(catalog: VendorCatalog) {
  const vendorId = z.string(expecting(`a vendor id (${orList(catalog.ids)})`)).superRefine((id, ctx) => {
    if (!catalog.has(id))
      ctx.addIssue({ code: 'custom', message: `unknown vendor${echo(id)}; expected ${orList(catalog.ids)}` });
  });
  const keyType = z.string(expecting(`a key type (${orList(catalog.keyTypes)})`)).superRefine((type, ctx) => {
    if (catalog.vendorOfKeyType(type) === undefined)
      ctx.addIssue({
        code: 'custom',
        message: `unknown key type${echo(type)}; expected ${orList(catalog.keyTypes)}`,
      });
  });
  const exclude = z.strictObject(
    {
      owners: optional(
        anyList(
          textField('an email or a glob such as *@contractors.example').regex(OWNER),
          'emails or globs such as *@contractors.example',
        ),
      ),
      groups: optional(anyList(textField('a group name'), 'group names')),
      key_names: optional(
        anyList(textField('a key name or a glob such as break-glass-*'), 'key names or globs'),
      ),
    } satisfies Record<(typeof EXCLUDE_FIELDS)[number], z.ZodType>,
    expecting('a map of owners, groups and key_names'),
  );
  const policy = z.strictObject(
    {
      name: z.string(expecting('a name of 1 to 40 characters a-z, 0-9 and -')).regex(POLICY_NAME),
      vendors: optional(list(vendorId, 'vendor ids')),
      types: optional(list(keyType, 'key types')),
      idle_days: days(1, 3650),
      never_used_grace_days: optional(days(0, 3650)),
      exclude: optional(exclude),
      notify_owner: optional(flag),
      grace_days: optional(days(0, 365)),
      // biome-ignore lint/suspicious/noThenProperty: the file's field; a string, never a function, so never awaited as a promise
      then: optional(z.enum(['report', 'request_revocation'], expecting('report or request_revocation'))),
      owner_may_revoke: optional(flag),
      approvals_channel: optional(
        z.string(expecting('a Slack channel id such as C012ABCDEF')).regex(CHANNEL_ID),
      ),
      approvers: optional(
        list(z.string(expecting('a Slack user id such as U012ABCDEF')).regex(USER_ID), 'Slack user ids'),
      ),
    } satisfies Record<(typeof POLICY_FIELDS)[number], z.ZodType>,
    expecting('a map of policy fields'),
  );
  return z.strictObject(
    { policies: z.array(policy, expecting('a list of policies')) },
    expecting('a map with a policies: list'),
  );
}

type ParsedPolicy = z.infer<ReturnType<typeof policyFileSchema>>['policies'][number];

function toPolicy(p: ParsedPolicy): Policy {
  return {
    name: p.name,
    ...(p.vendors ? { vendors: p.vendors } : {}),
    ...(p.types ? { types: p.types } : {}),
    idleDays: p.idle_days,
    neverUsedGraceDays: p.never_used_grace_days ?? p.idle_days,
    exclude: {
      owners: p.exclude?.owners ?? [],
      groups: p.exclude?.groups ?? [],
      keyNames: p.exclude?.key_names ?? [],
    },
    notifyOwner: p.notify_owner ?? true,
    graceDays: p.grace_days ?? 14,
    // biome-ignore lint/suspicious/noThenProperty: Policy's field; a string, never a function, so never awaited as a promise
    then: p.then ?? 'report',
    ownerMayRevoke: p.owner_may_revoke ?? false,
    ...(p.approvals_channel ? { approvalsChannel: p.approvals_channel } : {}),
    ...(p.approvers ? { approvers: p.approvers } : {}),
  };
}

/**
 * Rules across fields and across policies, checked on the raw data so they are reported alongside the field
 * problems: each name is used once, and a policy's types belong to the vendors it lists.
 */
function crossChecks(
  data: unknown,
  catalog: VendorCatalog,
  lineOf: (path: readonly PropertyKey[]) => number,
): { path: PropertyKey[]; message: string }[] {
  const found: { path: PropertyKey[]; message: string }[] = [];
  const policies = isRecord(data) && Array.isArray(data.policies) ? data.policies : [];
  const firstWithName = new Map<string, number>();
  policies.forEach((entry: unknown, i) => {
    if (!isRecord(entry)) return;
    const { name, vendors, types } = entry;
    if (typeof name === 'string' && POLICY_NAME.test(name)) {
      const first = firstWithName.get(name);
      if (first === undefined) firstWithName.set(name, i);
      else
        found.push({
          path: ['policies', i, 'name'],
          message: `"${name}" is already the name of the policy at line ${lineOf(['policies', first])}`,
        });
    }
    if (!Array.isArray(vendors) || !Array.isArray(types)) return;
    const listed = vendors.filter((v): v is string => typeof v === 'string' && catalog.has(v));
    if (listed.length !== vendors.length) return;
    types.forEach((type: unknown, j) => {
      if (typeof type !== 'string') return;
      const owner = catalog.vendorOfKeyType(type);
      if (owner !== undefined && !listed.includes(owner))
        found.push({
          path: ['policies', i, 'types', j],
          message: `${type} is a key type of ${owner}, which is not in this policy's vendors (${listed.join(', ')})`,
        });
    });
  });
  return found;
}

// ---------------------------------------------------------------------------------------------------------------
// Problems: where they are and how they read.

function unknownField(path: readonly PropertyKey[], key: string): string {
  const known: readonly string[] =
    path.length === 0
      ? ['policies']
      : path.length === 2
        ? POLICY_FIELDS
        : path.at(-1) === 'exclude'
          ? EXCLUDE_FIELDS
          : [];
  const near = known.find((k) => key.length <= 40 && editDistance(k, key.toLowerCase()) <= 2);
  return near ? `unknown field (did you mean ${near}?)` : `unknown field; expected ${orList(known)}`;
}

/** A field within its policy (`exclude.owners[1]`), or the path from the top of the file outside one. */
function fieldName(path: readonly PropertyKey[]): string | undefined {
  const inPolicy = path[0] === 'policies' && typeof path[1] === 'number' && path.length > 2;
  const shown = inPolicy ? path.slice(2) : path;
  if (shown.length === 0) return undefined;
  return shown
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : `${i === 0 ? '' : '.'}${keyText(String(seg))}`))
    .join('');
}

/** A key as written, when it is short and plain; a described stand-in otherwise. */
function keyText(key: string): string {
  if (/^[A-Za-z0-9_-]{1,40}$/.test(key)) return key;
  if (/^[\x20-\x7e]{1,40}$/.test(key)) return JSON.stringify(key);
  return `(a key of ${Array.from(key).length} characters)`;
}

/** ` "value"` for a short plain value, worth quoting back; nothing for anything else. */
function echo(value: string): string {
  return /^[\x21-\x7e]{1,40}$/.test(value) ? ` ${JSON.stringify(value)}` : '';
}

/** A parser message made fit for a terminal line, with any long run quoted from the file cut out. */
function plain(message: string): string {
  return message
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\S{41,}/g, '…')
    .trim();
}

function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

function sorted(problems: PolicyProblem[]): PolicyProblem[] {
  const seen = new Set<string>();
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? 0) - (b.p.line ?? 0) || a.i - b.i)
    .map(({ p }) => p)
    .filter((p) => {
      const key = `${p.line} ${p.field} ${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/**
 * Where `path` is in the source: the key of the deepest map entry (or the list item) it reaches. A missing field
 * is reported where its policy starts, and anything reached through an alias (`*name`) where the alias is.
 */
function offsetOf(doc: Document, path: readonly PropertyKey[]): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  let viaAlias = false;
  const reached = (at: number | undefined) => {
    if (!viaAlias && at !== undefined) offset = at;
  };
  for (const seg of path) {
    if (isAlias(node)) {
      node = node.resolve(doc);
      viaAlias = true;
    }
    if (isMap(node)) {
      const pair = node.items.find((item) => keyString(item.key) === String(seg));
      if (!pair) break;
      reached(rangeStart(pair.key) ?? rangeStart(pair.value));
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      reached(rangeStart(item));
      node = item;
    } else break;
  }
  return offset;
}

function keyString(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: readonly number[] } | null | undefined)?.range;
  return range?.[0];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
