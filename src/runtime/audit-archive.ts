import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { S3AuditArchive } from '../aws/s3-audit-archive.js';
import { appLogger } from '../composition/deps.js';
import { loadSettings } from '../config/settings.js';
import type { ArchivedAuditStore, AuditArchive } from '../domain/audit.js';
import { ConfigError } from '../http/errors.js';
import { type Logger, SecretRedactor } from '../log.js';
import { AuditTrailStore } from '../store/audit.js';
import { documentClient } from '../store/table.js';

export interface AuditArchiveRuntime {
  store: ArchivedAuditStore;
  archive: AuditArchive;
  retentionDays: number;
  logger: Logger;
}

/**
 * The audit archiver on Lambda: the table and the archive bucket only. It reads no secret and talks to no vendor or
 * Slack.
 */
export function auditArchiveRuntime(env: NodeJS.ProcessEnv): AuditArchiveRuntime {
  const settings = loadSettings(env);
  if (!settings.auditBucket) throw new ConfigError('KEYWARDEN_AUDIT_BUCKET is not set');
  return {
    store: new AuditTrailStore(documentClient(new DynamoDBClient({})), settings.table),
    archive: new S3AuditArchive(new S3Client({}), settings.auditBucket),
    retentionDays: settings.retentionDays,
    logger: appLogger(settings, new SecretRedactor(), { fn: env.AWS_LAMBDA_FUNCTION_NAME }),
  };
}
