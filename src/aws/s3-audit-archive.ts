import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { AuditArchive, AuditEvent } from '../domain/audit.js';

/**
 * The audit archive in S3: one JSONL object per batch of consecutive events, each line an event with its hash, named
 * `audit/<first seq>-<last seq>.jsonl` (12 digits each, so names sort in sequence order). On AWS the bucket has
 * versioning and Object Lock in compliance mode (infra/resources.yml): no one, the account's root included, can
 * delete or overwrite an object's versions before its retention ends. Locally the same code writes to an embedded
 * S3 server under `.keywarden/archive` (src/local/archive.ts).
 */
const PREFIX = 'audit/';
const seqKey = (seq: number) => String(seq).padStart(12, '0');
const NAME = /^audit\/(\d{12})-(\d{12})\.jsonl$/;

/** An archived line is checked before it is walked; a line that is not an event is a broken archive, said plainly. */
const archivedEvent = z.object({
  seq: z.number().int().positive(),
  at: z.string(),
  type: z.string(),
  actor: z.object({ user: z.string().optional(), team: z.string().optional() }).optional(),
  subject: z.record(z.string(), z.unknown()),
  prev: z.string(),
  hash: z.string(),
});

export class ArchiveReadError extends Error {
  override name = 'ArchiveReadError';
}

export class S3AuditArchive implements AuditArchive {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async write(events: readonly AuditEvent[]): Promise<void> {
    const first = events[0];
    const last = events.at(-1);
    if (!first || !last) return;
    const body = events.map((e) => `${JSON.stringify(e)}\n`).join('');
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: `${PREFIX}${seqKey(first.seq)}-${seqKey(last.seq)}.jsonl`,
        Body: body,
        ContentType: 'application/x-ndjson',
        // A bucket with Object Lock takes a write only with its content's checksum.
        ContentMD5: createHash('md5').update(body).digest('base64'),
      }),
    );
  }

  async read(fromSeq: number): Promise<AuditEvent[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: PREFIX, ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) {
        const m = o.Key ? NAME.exec(o.Key) : null;
        if (m && Number(m[2]) >= fromSeq) names.push(o.Key as string);
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    names.sort();
    const events: AuditEvent[] = [];
    for (const name of names) {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: name }));
      const text = (await res.Body?.transformToString('utf8')) ?? '';
      for (const [i, line] of text.split('\n').entries()) {
        if (!line.trim()) continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          parsed = undefined;
        }
        const event = archivedEvent.safeParse(parsed);
        if (!event.success)
          throw new ArchiveReadError(`the archive's ${name} line ${i + 1} is not an audit event`);
        if (event.data.seq >= fromSeq) events.push(event.data as AuditEvent);
      }
    }
    return events;
  }
}
