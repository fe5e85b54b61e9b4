import * as z from 'zod';
import { ConfigError } from '../http/errors.js';
import { IDMELON_REGIONS } from '../providers/idmelon/client.js';
import { SOLVIMON_DEFAULT_BASE_URL } from '../providers/solvimon/client.js';
import { TRYMELLON_DEFAULT_BASE_URL } from '../providers/trymellon/client.js';
import { httpUrl, optional, wholeNumber } from './fields.js';

/**
 * Local configuration from the environment, validated with zod. Problems are reported by variable name; values are
 * never echoed (some are secrets). On Lambda the same settings come from Secrets Manager (see the Slack issue).
 */

export const envSchema = z.object({
  IDMELON_BASE_URL: optional(httpUrl),
  IDMELON_REGION: optional(z.enum(['us', 'eu'], { message: 'must be "us" or "eu"' })),
  IDMELON_API_KEY: optional(z.string().trim().min(1)),
  TRYMELLON_BASE_URL: optional(httpUrl),
  TRYMELLON_CLIENT_ID: optional(z.string().trim().min(1)),
  TRYMELLON_CLIENT_SECRET: optional(z.string().trim().min(1)),
  SOLVIMON_BASE_URL: optional(httpUrl),
  SOLVIMON_API_KEY: optional(z.string().trim().min(1)),
  SOLVIMON_PLATFORM_ID: optional(z.string().trim().min(1)),
  KEYWARDEN_LOG_LEVEL: optional(
    z.enum(['debug', 'info', 'warn', 'error'], { message: 'must be debug, info, warn or error' }),
  ),
  /** One vendor request may take this long before it is retried. */
  KEYWARDEN_HTTP_TIMEOUT_MS: optional(wholeNumber(1, 120_000)),
});

export type IdmelonSettings = { mode: 'sandbox' } | { mode: 'remote'; baseUrl: string; apiKey: string };

export type TryMellonSettings =
  | { mode: 'sandbox' }
  | { mode: 'remote'; baseUrl: string; clientId: string; clientSecret: string };
export type SolvimonSettings =
  | { mode: 'sandbox' }
  | { mode: 'remote'; baseUrl: string; apiKey: string; platformId?: string };

export interface LocalConfig {
  idmelon: IdmelonSettings;
  trymellon: TryMellonSettings;
  solvimon: SolvimonSettings;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  httpTimeoutMs: number;
}

/** Names each invalid variable and why, never its value. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(config)'} ${i.message}`).join('; ');
}

export function loadLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  const e = parsed.data;
  let idmelon: IdmelonSettings;
  if (e.IDMELON_API_KEY) {
    const baseUrl = e.IDMELON_BASE_URL ?? IDMELON_REGIONS[e.IDMELON_REGION ?? 'us'];
    idmelon = { mode: 'remote', baseUrl, apiKey: e.IDMELON_API_KEY };
  } else if (e.IDMELON_BASE_URL || e.IDMELON_REGION) {
    throw new ConfigError('IDMELON_API_KEY is required when IDMELON_BASE_URL or IDMELON_REGION is set');
  } else {
    idmelon = { mode: 'sandbox' };
  }
  let trymellon: TryMellonSettings = { mode: 'sandbox' };
  if (e.TRYMELLON_CLIENT_ID || e.TRYMELLON_CLIENT_SECRET || e.TRYMELLON_BASE_URL) {
    if (!e.TRYMELLON_CLIENT_ID || !e.TRYMELLON_CLIENT_SECRET) {
      throw new ConfigError(
        'TRYMELLON_CLIENT_ID and TRYMELLON_CLIENT_SECRET are both needed to use TryMellon',
      );
    }
    trymellon = {
      mode: 'remote',
      baseUrl: e.TRYMELLON_BASE_URL ?? TRYMELLON_DEFAULT_BASE_URL,
      clientId: e.TRYMELLON_CLIENT_ID,
      clientSecret: e.TRYMELLON_CLIENT_SECRET,
    };
  }
  let solvimon: SolvimonSettings = { mode: 'sandbox' };
  if (e.SOLVIMON_API_KEY) {
    solvimon = {
      mode: 'remote',
      baseUrl: e.SOLVIMON_BASE_URL ?? SOLVIMON_DEFAULT_BASE_URL,
      apiKey: e.SOLVIMON_API_KEY,
      platformId: e.SOLVIMON_PLATFORM_ID,
    };
  } else if (e.SOLVIMON_BASE_URL || e.SOLVIMON_PLATFORM_ID) {
    throw new ConfigError(
      'SOLVIMON_API_KEY is required when SOLVIMON_BASE_URL or SOLVIMON_PLATFORM_ID is set',
    );
  }
  return {
    idmelon,
    trymellon,
    solvimon,
    logLevel: e.KEYWARDEN_LOG_LEVEL ?? 'info',
    httpTimeoutMs: e.KEYWARDEN_HTTP_TIMEOUT_MS ?? 10_000,
  };
}

/** Every credential in a local configuration, for the log redactor. */
export function configSecrets(config: LocalConfig): string[] {
  const out: string[] = [];
  if (config.idmelon.mode === 'remote') out.push(config.idmelon.apiKey);
  if (config.trymellon.mode === 'remote') out.push(config.trymellon.clientId, config.trymellon.clientSecret);
  if (config.solvimon.mode === 'remote') out.push(config.solvimon.apiKey);
  return out;
}
