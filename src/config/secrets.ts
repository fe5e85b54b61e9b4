import * as z from 'zod';
import type { SecretSource } from '../http/credentials.js';
import { ConfigError } from '../http/errors.js';
import type { SecretRedactor } from '../log.js';
import type { VendorSpec } from '../providers/descriptor.js';
import { optional } from './fields.js';

/**
 * The secret bundle: Slack's signing secret and bot token, and each vendor's credentials. On Lambda it is one
 * Secrets Manager secret (`KEYWARDEN_SECRET_ID`) holding this JSON; locally the same names come from the
 * environment. A missing or malformed field is named; a value is never printed.
 */
const value = z.string().trim().min(1, { message: 'is empty' });

/** Slack's part of the bundle; each vendor's fields are added from its descriptor. */
const slackFields = {
  SLACK_SIGNING_SECRET: value,
  /** Required on Lambda; a local run without it can still answer through response_url. */
  SLACK_BOT_TOKEN: optional(
    z
      .string()
      .trim()
      .regex(/^xox[bp]-/, { message: 'must be a Slack bot token (xoxb-…)' }),
  ),
};

export type SecretBundle = {
  SLACK_SIGNING_SECRET: string;
  SLACK_BOT_TOKEN?: string;
  /** Vendor fields, by variable name (`IDMELON_API_KEY`). */
  [field: string]: unknown;
};

/** The bundle's schema: Slack's fields and every vendor's, each validated by its vendor's schema. */
export function secretBundleSchema(vendors: readonly VendorSpec[]) {
  const shape: Record<string, z.ZodType> = { ...slackFields };
  for (const v of vendors) for (const [name, f] of Object.entries(v.fields)) shape[name] = f.schema;
  return z.looseObject(shape);
}

/** Every value in the bundle that must never reach a log line: Slack's and each vendor's credentials. */
export function secretValues(bundle: SecretBundle, vendors: readonly VendorSpec[]): string[] {
  const names = ['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN'];
  for (const v of vendors) for (const [name, f] of Object.entries(v.fields)) if (f.secret) names.push(name);
  return names.map((n) => bundle[n]).filter((v): v is string => typeof v === 'string' && v.length > 0);
}

export function parseSecretBundle(
  raw: unknown,
  source: string,
  vendors: readonly VendorSpec[],
  required: readonly string[] = [],
): SecretBundle {
  const parsed = secretBundleSchema(vendors).safeParse(raw);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.') || '(secret)'} ${i.message}`);
  if (parsed.success) {
    for (const field of required)
      if (parsed.data[field] === undefined) problems.push(`${String(field)} is missing`);
  }
  if (!parsed.success || problems.length) throw new ConfigError(`${source}: ${problems.join('; ')}`);
  return parsed.data as SecretBundle;
}

/** Where the bundle comes from: cached, and re-read on demand when a vendor says a credential was rotated. */
export interface SecretStore {
  get(): Promise<SecretBundle>;
  /** Re-reads the bundle, bypassing the cache. */
  refresh(): Promise<SecretBundle>;
}

/** Registers every value with the log redactor as soon as it is read. */
export function redacting(
  store: SecretStore,
  redactor: SecretRedactor,
  vendors: readonly VendorSpec[],
): SecretStore {
  return {
    get: async () => {
      const b = await store.get();
      redactor.add(...secretValues(b, vendors));
      return b;
    },
    refresh: async () => {
      const b = await store.refresh();
      redactor.add(...secretValues(b, vendors));
      return b;
    },
  };
}

/**
 * A vendor credential inside the bundle, as the HTTP layer's SecretSource: `refresh` re-reads the bundle and says
 * whether that credential changed (so a 401 with the same key is not retried pointlessly).
 */
export function bundleSecret(
  store: SecretStore,
  pick: (b: SecretBundle) => unknown,
  name: string,
): SecretSource {
  const read = (b: SecretBundle) => {
    const v = pick(b);
    if (typeof v !== 'string' || !v) throw new ConfigError(`${name} is missing from the secret`);
    return v;
  };
  return {
    get: async () => read(await store.get()),
    refresh: async () => {
      const before = pick(await store.get());
      const after = pick(await store.refresh());
      return after !== undefined && after !== before;
    },
  };
}
