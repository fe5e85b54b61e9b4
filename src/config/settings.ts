import * as z from 'zod';
import { ConfigError } from '../http/errors.js';
import { describeIssues } from './env.js';

/**
 * Keywarden's own settings (`KEYWARDEN_*`): who may do what and where things are posted. They are not secret, so
 * on Lambda they are plain environment variables; secrets live in Secrets Manager (see secrets.ts).
 */

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** Comma-separated Slack user ids (U… or W… for Enterprise Grid). */
const userIds = z.preprocess(
  blank,
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
    )
    .optional(),
);

const userGroupId = z.preprocess(
  blank,
  z
    .string()
    .trim()
    .regex(/^S[A-Z0-9]{2,}$/, { message: 'must be a Slack user group id such as S012ABCDEF' })
    .optional(),
);

export const settingsSchema = z.object({
  KEYWARDEN_ADMINS: userIds,
  KEYWARDEN_ADMIN_GROUP: userGroupId,
  /** DynamoDB table for jobs and revocation requests. */
  KEYWARDEN_TABLE: z.preprocess(blank, z.string().trim().min(3).max(255).optional()),
  /** SQS queue the Slack function hands slow work to (Lambda only). */
  KEYWARDEN_QUEUE_URL: z.preprocess(blank, z.url({ message: 'must be an SQS queue URL' }).optional()),
});

export interface Settings {
  admins: string[];
  adminGroup?: string;
  table: string;
  queueUrl?: string;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  const e = parsed.data;
  return {
    admins: e.KEYWARDEN_ADMINS ?? [],
    adminGroup: e.KEYWARDEN_ADMIN_GROUP,
    table: e.KEYWARDEN_TABLE ?? 'keywarden',
    queueUrl: e.KEYWARDEN_QUEUE_URL,
  };
}
