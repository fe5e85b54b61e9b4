import { createHash } from 'node:crypto';

/**
 * The audit trail: one append-only, hash-chained event per decision and outcome. Each event's hash covers its
 * sequence number, time, type, actor, subject and the previous event's hash, so editing, removing, inserting or
 * reordering any event breaks the chain from there on; a chain rewritten whole is caught against a witness (the head
 * posted in Slack, outside the database).
 */
export interface AuditActor {
  user?: string;
  team?: string;
}

export interface AuditEventInput {
  /** What happened: `request.raised`, `request.approved`, `key.revoked`, `exemption.granted`… */
  type: string;
  actor?: AuditActor;
  /** What it happened to: a request id, a key, a policy; small and without secrets. */
  subject: Record<string, unknown>;
}

export interface AuditEvent extends AuditEventInput {
  seq: number;
  at: string;
  /** The previous event's hash (64 zeros for the first). */
  prev: string;
  /** SHA-256 of the canonical JSON of everything above. */
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys in a stable order, so the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function auditHash(event: Omit<AuditEvent, 'hash'>): string {
  const { seq, at, type, actor, subject, prev } = event;
  return createHash('sha256').update(canonicalJson({ seq, at, type, actor, subject, prev })).digest('hex');
}

/** A chain head posted outside the database (the audit channel), to check the chain against. */
export interface AuditWitness {
  seq: number;
  hash: string;
  at?: string;
}

export interface AuditStore {
  /** The last event, or undefined for an empty trail. */
  head(): Promise<AuditEvent | undefined>;
  /** Writes the event only if its sequence number is free: false when another writer took it. */
  put(event: AuditEvent): Promise<boolean>;
  /** The newest events, newest first, below `beforeSeq` when given, at most `limit`. */
  recent(limit: number, beforeSeq?: number): Promise<AuditEvent[]>;
  /** Events from `fromSeq` on, in sequence order, at most `limit`. */
  range(fromSeq: number, limit: number): Promise<AuditEvent[]>;
  recordWitness(witness: AuditWitness): Promise<void>;
  witnesses(): Promise<AuditWitness[]>;
}

/** A trail that is archived: it knows how far the archive goes, and sets events' retention once they are there. */
export interface ArchivedAuditStore extends AuditStore {
  /** The last sequence number the archive is known to hold (0 before anything was archived). */
  archivedThrough(): Promise<number>;
  /**
   * Records that the archive holds every event up to `through`: the `expiring` ones may now leave the table at
   * `expiresAt(event)` (epoch seconds), and the mark moves from `previous` to `through`. False when another archiver
   * moved it first.
   */
  markArchived(
    expiring: readonly AuditEvent[],
    previous: number,
    through: number,
    expiresAt: (event: AuditEvent) => number,
  ): Promise<boolean>;
}

/**
 * Where events are kept past the table's retention: write-once objects (on AWS, an S3 bucket with Object Lock in
 * compliance mode). Events reach the table's retention only once they are here.
 */
export interface AuditArchive {
  /** Stores consecutive events as one object; writing the same range again stores the same content. */
  write(events: readonly AuditEvent[]): Promise<void>;
  /** Every archived event from `fromSeq` on, in sequence order; an event two archivers both wrote appears twice. */
  read(fromSeq: number): Promise<AuditEvent[]>;
}
