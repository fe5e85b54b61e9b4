import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSettings } from '../config/settings.js';
import type { AuditEvent, AuditWitness } from '../domain/audit.js';
import { ConfigError } from '../http/errors.js';
import { startLocalDynamo } from '../local/dynamo.js';
import { verifyChain } from '../services/audit.js';
import { AuditTrailStore } from '../store/audit.js';
import { documentClient } from '../store/table.js';
import { terminalText } from '../util/text-safety.js';

/**
 * `keywarden audit verify [--from SEQ] [--witness SEQ:HASH] [--file FILE]` and `keywarden audit export --since DATE
 * [--csv]`: the local trail in `.keywarden/` (or an exported JSONL file), walked and checked, or written out for an
 * auditor.
 */
export interface AuditIo {
  stdout: (text: string) => void;
  env: NodeJS.ProcessEnv;
  dataDir?: string | null;
}

async function readTrail(
  io: AuditIo,
  fromSeq: number,
): Promise<{ events: AuditEvent[]; witnesses: AuditWitness[] }> {
  const settings = loadSettings(io.env);
  const path = io.dataDir === undefined ? join(process.cwd(), '.keywarden', 'dynamodb') : io.dataDir;
  const dynamo = await startLocalDynamo({ table: settings.table, path: path ?? undefined });
  try {
    const store = new AuditTrailStore(documentClient(dynamo.client), settings.table);
    return {
      events: await store.range(fromSeq, Number.MAX_SAFE_INTEGER),
      witnesses: await store.witnesses(),
    };
  } finally {
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
  let events: AuditEvent[];
  let witnesses: AuditWitness[] = [];
  if (options.file) {
    events = readFileSync(options.file, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as AuditEvent)
      .filter((e) => e.seq >= from);
  } else ({ events, witnesses } = await readTrail(io, from));
  if (options.witness) witnesses = [...witnesses, parseWitness(options.witness)];
  const v = verifyChain(events, witnesses, { fromSeq: from });
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
  options: { since?: string; csv: boolean },
): Promise<number> {
  const since = options.since ?? '1970-01-01';
  if (!/^\d{4}-\d{2}-\d{2}/.test(since)) throw new ConfigError('--since takes a date such as 2026-01-31');
  const { events } = await readTrail(io, 1);
  const chosen = events.filter((e) => e.at >= since);
  if (options.csv) {
    io.stdout('seq,at,type,actor_user,actor_team,subject,prev,hash\n');
    for (const e of chosen)
      io.stdout(
        `${[e.seq, e.at, e.type, e.actor?.user, e.actor?.team, e.subject, e.prev, e.hash].map(csvCell).join(',')}\n`,
      );
  } else for (const e of chosen) io.stdout(`${JSON.stringify(e)}\n`);
  return 0;
}
