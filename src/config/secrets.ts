import * as z from 'zod';
import { ConfigError } from '../http/errors.js';
import type { SecretRedactor } from '../log.js';
import { httpUrl, optional } from './fields.js';

/**
 * The secret bundle: Slack's signing secret and bot token, and each vendor's credentials. On Lambda it is one
 * Secrets Manager secret (`KEYWARDEN_SECRET_ID`) holding this JSON; locally the same names come from the
 * environment. A missing or malformed field is named; a value is never printed.
 */
const value = z.string().trim().min(1, { message: 'is empty' });

export const secretBundleSchema = z.looseObject({
  SLACK_SIGNING_SECRET: value,
  /** Required on Lambda; a local run without it can still answer through response_url. */
  SLACK_BOT_TOKEN: optional(
    z
      .string()
      .trim()
      .regex(/^xox[bp]-/, { message: 'must be a Slack bot token (xoxb-…)' }),
  ),
  IDMELON_API_KEY: optional(value),
  IDMELON_BASE_URL: optional(httpUrl),
  IDMELON_REGION: optional(z.enum(['us', 'eu'], { message: 'must be "us" or "eu"' })),
  TRYMELLON_BASE_URL: optional(httpUrl),
  TRYMELLON_CLIENT_ID: optional(value),
  TRYMELLON_CLIENT_SECRET: optional(value),
  SOLVIMON_BASE_URL: optional(httpUrl),
  SOLVIMON_API_KEY: optional(value),
  SOLVIMON_PLATFORM_ID: optional(value),
});
export type SecretBundle = z.infer<typeof secretBundleSchema>;

/** Every value in the bundle that must never reach a log line. */
export function secretValues(bundle: SecretBundle): string[] {
  return [
    bundle.SLACK_SIGNING_SECRET,
    bundle.SLACK_BOT_TOKEN,
    bundle.IDMELON_API_KEY,
    bundle.TRYMELLON_CLIENT_SECRET,
    bundle.SOLVIMON_API_KEY,
  ].filter((v): v is string => typeof v === 'string');
}

export function parseSecretBundle(
  raw: unknown,
  source: string,
  required: ReadonlyArray<keyof SecretBundle> = [],
): SecretBundle {
  const parsed = secretBundleSchema.safeParse(raw);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.') || '(secret)'} ${i.message}`);
  if (parsed.success) {
    for (const field of required)
      if (parsed.data[field] === undefined) problems.push(`${String(field)} is missing`);
  }
  if (!parsed.success || problems.length) throw new ConfigError(`${source}: ${problems.join('; ')}`);
  return parsed.data;
}

/** Where the bundle comes from: cached, and re-read on demand when a vendor says a credential was rotated. */
export interface SecretStore {
  get(): Promise<SecretBundle>;
  /** Re-reads the bundle, bypassing the cache. */
  refresh(): Promise<SecretBundle>;
}

/** Registers every value with the log redactor as soon as it is read. */
export function redacting(store: SecretStore, redactor: SecretRedactor): SecretStore {
  return {
    get: async () => {
      const b = await store.get();
      redactor.add(...secretValues(b));
      return b;
    },
    refresh: async () => {
      const b = await store.refresh();
      redactor.add(...secretValues(b));
      return b;
    },
  };
}

/** Local runs: the same names from the environment. */
export function envSecretStore(env: NodeJS.ProcessEnv): SecretStore {
  const read = async () => parseSecretBundle(env, 'environment');
  return { get: read, refresh: read };
}

/**
 * A vendor credential inside the bundle, as the HTTP layer's SecretSource: `refresh` re-reads the bundle and says
 * whether that credential changed (so a 401 with the same key is not retried pointlessly).
 */
export function bundleSecret(
  store: SecretStore,
  pick: (b: SecretBundle) => string | undefined,
  name: string,
) {
  const read = (b: SecretBundle) => {
    const v = pick(b);
    if (!v) throw new ConfigError(`${name} is missing from the secret`);
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
