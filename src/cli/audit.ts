import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { S3AuditArchive } from '../aws/s3-audit-archive.js';
import { loadSettings } from '../config/settings.js';
import type { AuditArchive, AuditEvent, AuditStore, AuditWitness } from '../domain/audit.js';
import { ConfigError } from '../http/errors.js';
import { localArchiveDir, startLocalArchive } from '../local/archive.js';
import { startLocalDynamo } from '../local/dynamo.js';
import { mergeTrail, verifyTrail } from '../services/audit.js';
import { AuditTrailStore } from '../store/audit.js';
import { documentClient } from '../store/table.js';
import { terminalText } from '../util/text-safety.js';

/**
 * `keywarden audit verify [--from SEQ] [--witness SEQ:HASH] [--file FILE]` and `keywarden audit export --since DATE
 * [--format jsonl|csv]`: the trail (its archive and the table, as one chain), or an exported JSONL file, walked and
 * checked, or written out for an auditor. Locally the trail is the one in `.keywarden/`; with KEYWARDEN_AUDIT_BUCKET
 * set it is the stack's on AWS (KEYWARDEN_TABLE and that bucket, with the terminal's AWS credentials).
 */
export interface AuditIo {
  stdout: (text: string) => void;
  env: NodeJS.ProcessEnv;
  dataDir?: string | null;
}

interface Trail {
  archived: AuditEvent[];
  live: AuditEvent[];
  witnesses: AuditWitness[];
}

async function readFrom(
  store: AuditStore,
  archive: AuditArchive | undefined,
  fromSeq: number,
): Promise<Trail> {
  return {
    archived: archive ? await archive.read(fromSeq) : [],
    live: await store.range(fromSeq, Number.MAX_SAFE_INTEGER),
    witnesses: await store.witnesses(),
  };
}

async function readTrail(io: AuditIo, fromSeq: number): Promise<Trail> {
  const settings = loadSettings(io.env);
  if (settings.auditBucket) {
    const store = new AuditTrailStore(documentClient(new DynamoDBClient({})), settings.table);
    return readFrom(store, new S3AuditArchive(new S3Client({}), settings.auditBucket), fromSeq);
  }
  const path = io.dataDir === undefined ? join(process.cwd(), '.keywarden', 'dynamodb') : io.dataDir;
  const archiveDir = localArchiveDir(io.dataDir);
  const dynamo = await startLocalDynamo({ table: settings.table, path: path ?? undefined });
  // An archive is read only where one was kept: reading never creates one.
  const local =
    archiveDir && existsSync(archiveDir) ? await startLocalArchive({ directory: archiveDir }) : undefined;
  try {
    return await readFrom(
      new AuditTrailStore(documentClient(dynamo.client), settings.table),
      local?.archive,
      fromSeq,
    );
  } finally {
    await local?.close();
    await dynamo.close();
  }
}

function parseWitness(text: string): AuditWitness {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(text);
  if (!m)
    throw new ConfigError('--witness takes SEQ:HASH, as the witness line in the audit channel shows it');
  return { seq: Number(m[1]), hash: m[2] as string };
}

export async function runAuditVerify(
  io: AuditIo,
  options: { from?: string; witness?: string; file?: string },
): Promise<number> {
  const from = options.from ? Number(options.from) : 1;
  if (!Number.isInteger(from) || from < 1) throw new ConfigError('--from takes a sequence number from 1');
  let trail: Trail;
  if (options.file) {
    trail = {
      archived: [],
      live: readFileSync(options.file, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as AuditEvent)
        .filter((e) => e.seq >= from),
      witnesses: [],
    };
  } else trail = await readTrail(io, from);
  const witnesses = options.witness ? [...trail.witnesses, parseWitness(options.witness)] : trail.witnesses;
  const v = verifyTrail(trail.archived, trail.live, witnesses, { fromSeq: from });
  if (v.ok) {
    const head = v.head ? `head ${v.head.seq} ${v.head.hash}` : 'no events';
    const witnessed = v.witnessed
      ? `, matches the witness of event ${v.witnessed.seq}${v.witnessed.at ? ` (${v.witnessed.at.slice(0, 10)})` : ''}`
      : ', no witness to check against';
    io.stdout(`${v.count} events, chain intact, ${head}${witnessed}\n`);
    return 0;
  }
  io.stdout(`${terminalText(`chain broken at event ${v.seq} (${v.kind}): ${v.detail}`)}\n`);
  return 1;
}

/** Cells that a spreadsheet would run as a formula start with a quote instead. */
function csvCell(value: unknown): string {
  let text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export async function runAuditExport(
  io: AuditIo,
  options: { since?: string; format: string },
): Promise<number> {
  const since = options.since ?? '1970-01-01';
  if (!/^\d{4}-\d{2}-\d{2}/.test(since)) throw new ConfigError('--since takes a date such as 2026-01-31');
  if (options.format !== 'jsonl' && options.format !== 'csv')
    throw new ConfigError('--format takes jsonl or csv');
  const trail = await readTrail(io, 1);
  const chosen = mergeTrail(trail.archived, trail.live).events.filter((e) => e.at >= since);
  if (options.format === 'csv') {
    io.stdout('seq,at,type,actor_user,actor_team,subject,prev,hash\n');
    for (const e of chosen)
      io.stdout(
        `${[e.seq, e.at, e.type, e.actor?.user, e.actor?.team, e.subject, e.prev, e.hash].map(csvCell).join(',')}\n`,
      );
  } else for (const e of chosen) io.stdout(`${JSON.stringify(e)}\n`);
  return 0;
}
