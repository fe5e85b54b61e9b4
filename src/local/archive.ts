import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { S3AuditArchive } from '../aws/s3-audit-archive.js';
import { UnixSocketAgent } from './unix-socket.js';

/** The bucket's name locally; on AWS it is the stack's (KEYWARDEN_AUDIT_BUCKET). */
export const LOCAL_ARCHIVE_BUCKET = 'keywarden-audit';

/**
 * Where a local run keeps its archive, beside its data: `.keywarden/archive` by default, `<dataDir>-archive` for
 * another data directory, none (a temporary one) for data kept in memory.
 */
export function localArchiveDir(dataDir: string | null | undefined, cwd = process.cwd()): string | null {
  if (dataDir === undefined) return join(cwd, '.keywarden', 'archive');
  return dataDir === null ? null : `${dataDir.replace(/\/+$/, '')}-archive`;
}

export interface LocalArchive {
  archive: S3AuditArchive;
  s3: S3Client;
  directory: string;
  close(): Promise<void>;
}

/**
 * The audit archive for local runs and tests: a real S3 server (s3rver), embedded in this process and keeping its
 * objects under `directory` (`.keywarden/archive` for `npm start`; a temporary directory without one), so the archive code that writes to S3 on AWS
 * runs here unchanged. Like the local DynamoDB it listens on a unix socket in a private directory, not on a port.
 * Locally there is no Object Lock: the files are this user's to change, which `keywarden audit verify` then reports.
 */
export async function startLocalArchive(options: { directory?: string } = {}): Promise<LocalArchive> {
  // Without a directory, a temporary one, removed at close.
  const temporary = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'keywarden-archive-')));
  await mkdir(directory, { recursive: true, mode: 0o700 });
  await chmod(directory, 0o700);
  const socketDir = await mkdtemp(join(tmpdir(), 'keywarden-s3-'));
  const socketPath = join(socketDir, 's3.sock');
  const server = new S3rver({
    directory,
    silent: true,
    configureBuckets: [{ name: LOCAL_ARCHIVE_BUCKET }],
  });
  try {
    await server.configureBuckets();
    server.httpServer = await server.listen(socketPath);
    await chmod(socketPath, 0o600);
  } catch (err) {
    await rm(socketDir, { recursive: true, force: true });
    throw err;
  }
  const s3 = new S3Client({
    // "localhost": s3rver takes any other host name as a bucket's (virtual-host style); the socket is what connects.
    endpoint: 'http://localhost',
    region: 'local',
    forcePathStyle: true,
    requestHandler: { httpAgent: new UnixSocketAgent(socketPath) },
    // s3rver checks request signatures against its own fixed credentials.
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    // The object's MD5 is sent explicitly (what Object Lock asks for); no extra checksum headers s3rver cannot read.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
  return {
    archive: new S3AuditArchive(s3, LOCAL_ARCHIVE_BUCKET),
    s3,
    directory,
    async close() {
      s3.destroy();
      await server.close();
      await rm(socketDir, { recursive: true, force: true });
      if (temporary) await rm(directory, { recursive: true, force: true });
    },
  };
}
