import * as z from 'zod';
import { ConfigError } from '../http/errors.js';
import { isTimeZone } from '../util/zoned.js';
import { duration, optional, wholeNumber } from './fields.js';

/**
 * Keywarden's own settings (`KEYWARDEN_*`): who may do what, where things are posted, logging and timeouts. They are
 * not secret, so on Lambda they are plain environment variables, read by this same function; secrets live in
 * Secrets Manager (see secrets.ts) and vendor settings are each vendor's own (see vendors.ts).
 */

/** Comma-separated Slack user ids (U… or W… for Enterprise Grid). */
const userIds = optional(
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z.string().regex(/^[UW][A-Z0-9]{2,}$/, { message: 'must be Slack user ids such as U012ABCDEF' }),
      ),
    ),
);

const userGroupId = optional(
  z
    .string()
    .trim()
    .regex(/^S[A-Z0-9]{2,}$/, { message: 'must be a Slack user group id such as S012ABCDEF' }),
);

const channelId = optional(
  z
    .string()
    .trim()
    .regex(/^[CGD][A-Z0-9]{2,}$/, { message: 'must be a Slack channel id such as C012ABCDEF' }),
);

const flag = optional(
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'yes'),
);

/** Names each invalid variable and why, never its value. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(config)'} ${i.message}`).join('; ');
}

export const settingsSchema = z.object({
  KEYWARDEN_ADMINS: userIds,
  KEYWARDEN_ADMIN_GROUP: userGroupId,
  KEYWARDEN_APPROVERS: userIds,
  KEYWARDEN_APPROVER_GROUP: userGroupId,
  /** Where revocation requests are posted; by default the channel the request came from. */
  KEYWARDEN_APPROVALS_CHANNEL: channelId,
  /** Where an owner's "Not mine" raises a security alert; the approvals channel when unset. */
  KEYWARDEN_SECURITY_CHANNEL: channelId,
  /** One line per decided request, when set. */
  KEYWARDEN_AUDIT_CHANNEL: channelId,
  /** The S3 bucket holding the audit archive (set by the stack on AWS; locally the archive is in `.keywarden/`). */
  KEYWARDEN_AUDIT_BUCKET: optional(
    z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'must be an S3 bucket name' }),
  ),
  KEYWARDEN_DRY_RUN: flag,
  /** Locally: a vendor without credentials is an error instead of being served by its embedded sandbox. */
  KEYWARDEN_REQUIRE_REAL: flag,
  KEYWARDEN_REQUEST_TTL_HOURS: optional(wholeNumber(1, 24 * 30)),
  KEYWARDEN_RETENTION_DAYS: optional(wholeNumber(1, 3650)),
  /** Where the weekly digest is posted. */
  KEYWARDEN_DIGEST_CHANNEL: channelId,
  /** IANA time zone for the digest's weeks and its schedule. */
  KEYWARDEN_TIMEZONE: optional(
    z.string().trim().refine(isTimeZone, { message: 'must be an IANA time zone such as Europe/Paris' }),
  ),
  /** "Stale" in the digest: idle at least this many days. */
  KEYWARDEN_STALE_DAYS: optional(wholeNumber(1, 3650)),
  /** DynamoDB table for jobs and revocation requests. */
  KEYWARDEN_TABLE: optional(z.string().trim().min(3).max(255)),
  /** SQS queue the Slack function hands slow work to (Lambda only). */
  KEYWARDEN_QUEUE_URL: optional(z.url({ message: 'must be an SQS queue URL' })),
  /** Jobs one person may have queued or running at once. */
  KEYWARDEN_MAX_JOBS_PER_USER: optional(wholeNumber(1, 100)),
  /** Jobs everyone together may have queued or running at once. */
  KEYWARDEN_MAX_JOBS: optional(wholeNumber(1, 1000)),
  KEYWARDEN_LOG_LEVEL: optional(
    z.enum(['debug', 'info', 'warn', 'error'], { message: 'must be debug, info, warn or error' }),
  ),
  /** One vendor request may take this long before it is retried. */
  KEYWARDEN_HTTP_TIMEOUT_MS: optional(wholeNumber(1, 120_000)),
  /** How old the inventory may be for lists and lookups to be read from it; older, they ask the vendor. */
  KEYWARDEN_INVENTORY_MAX_AGE: optional(duration(30 * 86_400_000)),
  /** Requests per second one vendor gets from the inventory's syncs, every worker together. */
  KEYWARDEN_INVENTORY_RATE: optional(wholeNumber(1, 100)),
  /** Ranges of one vendor an inventory sync reads at once. */
  KEYWARDEN_INVENTORY_CONCURRENCY: optional(wholeNumber(1, 16)),
  /** The policy file (see policies.ts); a relative path is looked for in the working directory, then the package. */
  KEYWARDEN_POLICIES_FILE: optional(
    z.string().trim().max(1024, { message: 'must be a file path of at most 1024 characters' }),
  ),
});

export interface Settings {
  admins: string[];
  adminGroup?: string;
  approvers: string[];
  approverGroup?: string;
  approvalsChannel?: string;
  auditChannel?: string;
  auditBucket?: string;
  securityChannel?: string;
  dryRun: boolean;
  requireReal: boolean;
  requestTtlHours: number;
  retentionDays: number;
  digestChannel?: string;
  timeZone: string;
  staleDays: number;
  table: string;
  queueUrl?: string;
  /** @default 3 */
  maxJobsPerUser: number;
  /** @default 20 */
  maxJobs: number;
  /** @default info */
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** @default 10 000 */
  httpTimeoutMs: number;
  /** @default infra/policies.yml */
  policiesFile: string;
  /** How old the inventory may be for a list or lookup to be read from it; 0 never reads it. @default 1 hour */
  inventoryMaxAgeMs: number;
  /** Requests per second per vendor for inventory syncs, shared by every worker. @default 5 */
  inventoryRate: number;
  /** Ranges of one vendor read at once by inventory syncs. @default 2 */
  inventoryConcurrency: number;
}

/**
 * Without a cap, one admin sending 200 `/keys stale 1` makes over 100 000 vendor requests: three jobs at once is plenty for
 * one person (a scan, a lookup, a CSV), and twenty in all keeps a burst from many admins to a few minutes of work
 * for the five workers (serverless.yml `workerConcurrency`).
 */
const DEFAULT_MAX_JOBS_PER_USER = 3;
const DEFAULT_MAX_JOBS = 20;
/**
 * The inventory's full sync reads vendors in the background, beside the commands people run: five requests a second
 * (an IDmelon skip window of 100 keys per request, so 10 000 keys in about 20 s) and two ranges at once leave the
 * vendor's rate limit to the commands. A 429 halves the pace for a minute.
 */
const DEFAULT_INVENTORY_RATE = 5;
const DEFAULT_INVENTORY_CONCURRENCY = 2;

/**
 * An hour: the inventory's incremental refresh runs more often than that, so a fresher inventory is the usual case,
 * and an hour-old list of keys idle for 90 days is as good as a live one. A missed refresh shows within the hour.
 */
const DEFAULT_INVENTORY_MAX_AGE_MS = 3_600_000;

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  const e = parsed.data;
  const maxJobs = e.KEYWARDEN_MAX_JOBS ?? DEFAULT_MAX_JOBS;
  const maxJobsPerUser = e.KEYWARDEN_MAX_JOBS_PER_USER ?? Math.min(DEFAULT_MAX_JOBS_PER_USER, maxJobs);
  if (maxJobsPerUser > maxJobs) {
    throw new ConfigError(
      `KEYWARDEN_MAX_JOBS_PER_USER (${maxJobsPerUser}) must not exceed KEYWARDEN_MAX_JOBS (${maxJobs})`,
    );
  }
  return {
    admins: e.KEYWARDEN_ADMINS ?? [],
    adminGroup: e.KEYWARDEN_ADMIN_GROUP,
    approvers: e.KEYWARDEN_APPROVERS ?? [],
    approverGroup: e.KEYWARDEN_APPROVER_GROUP,
    approvalsChannel: e.KEYWARDEN_APPROVALS_CHANNEL,
    auditChannel: e.KEYWARDEN_AUDIT_CHANNEL,
    auditBucket: e.KEYWARDEN_AUDIT_BUCKET,
    securityChannel: e.KEYWARDEN_SECURITY_CHANNEL,
    dryRun: e.KEYWARDEN_DRY_RUN ?? false,
    requireReal: e.KEYWARDEN_REQUIRE_REAL ?? false,
    requestTtlHours: e.KEYWARDEN_REQUEST_TTL_HOURS ?? 24,
    retentionDays: e.KEYWARDEN_RETENTION_DAYS ?? 400,
    digestChannel: e.KEYWARDEN_DIGEST_CHANNEL,
    timeZone: e.KEYWARDEN_TIMEZONE ?? 'UTC',
    staleDays: e.KEYWARDEN_STALE_DAYS ?? 90,
    table: e.KEYWARDEN_TABLE ?? 'keywarden',
    queueUrl: e.KEYWARDEN_QUEUE_URL,
    maxJobsPerUser,
    maxJobs,
    logLevel: e.KEYWARDEN_LOG_LEVEL ?? 'info',
    httpTimeoutMs: e.KEYWARDEN_HTTP_TIMEOUT_MS ?? 10_000,
    policiesFile: e.KEYWARDEN_POLICIES_FILE ?? 'infra/policies.yml',
    inventoryMaxAgeMs: e.KEYWARDEN_INVENTORY_MAX_AGE ?? DEFAULT_INVENTORY_MAX_AGE_MS,
    inventoryRate: e.KEYWARDEN_INVENTORY_RATE ?? DEFAULT_INVENTORY_RATE,
    inventoryConcurrency: e.KEYWARDEN_INVENTORY_CONCURRENCY ?? DEFAULT_INVENTORY_CONCURRENCY,
  };
}
