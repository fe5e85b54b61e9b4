import {
  type ArchivedAuditStore,
  type AuditArchive,
  type AuditEvent,
  type AuditEventInput,
  type AuditStore,
  type AuditWitness,
  auditHash,
  canonicalJson,
  GENESIS_HASH,
} from '../domain/audit.js';
import type { Clock } from '../domain/clock.js';

/** Appends one event after the current head. A writer that loses the race for a sequence number reads the head again. */
export async function appendAudit(
  store: AuditStore,
  clock: Clock,
  input: AuditEventInput,
): Promise<AuditEvent> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const head = await store.head();
    const base = {
      seq: (head?.seq ?? 0) + 1,
      at: clock.now().toISOString(),
      type: input.type,
      ...(input.actor ? { actor: input.actor } : {}),
      subject: input.subject,
      prev: head?.hash ?? GENESIS_HASH,
    };
    const event: AuditEvent = { ...base, hash: auditHash(base) };
    if (await store.put(event)) return event;
    // Lost the race for this sequence number: back off a little, at random, so many writers take turns.
    await new Promise((r) => setTimeout(r, Math.random() * Math.min(20, 2 ** attempt)));
  }
  throw new Error('could not append to the audit trail: too many concurrent writers');
}

export type ChainBreak = 'changed' | 'missing' | 'inserted' | 'out_of_order' | 'witness';

export type Verification =
  | { ok: true; count: number; head?: { seq: number; hash: string }; witnessed?: AuditWitness }
  | { ok: false; count: number; seq: number; kind: ChainBreak; detail: string };

/**
 * Walks a chain in the order given (the store's, or an exported file's) and says whether it is intact, or where it
 * first breaks and how. `fromSeq` starts from an event whose predecessor is trusted (its `prev` is taken as given).
 */
export function verifyChain(
  events: readonly AuditEvent[],
  witnesses: readonly AuditWitness[] = [],
  options: { fromSeq?: number } = {},
): Verification {
  const start = options.fromSeq ?? 1;
  const position = new Map<number, number>();
  events.forEach((e, i) => {
    if (!position.has(e.seq)) position.set(e.seq, i);
  });
  let previous: AuditEvent | undefined;
  let expected = start;
  for (const [i, e] of events.entries()) {
    const fail = (seq: number, kind: ChainBreak, detail: string): Verification => ({
      ok: false,
      count: i,
      seq,
      kind,
      detail,
    });
    if (previous && e.seq === previous.seq)
      return fail(e.seq, 'inserted', `a second event claims sequence ${e.seq}`);
    if (e.seq !== expected) {
      const later = position.get(expected);
      if (later !== undefined && later > i)
        return fail(expected, 'out_of_order', `event ${expected} comes after event ${e.seq}`);
      if (e.seq < expected)
        return fail(e.seq, 'out_of_order', `event ${e.seq} comes after event ${expected - 1}`);
      return fail(expected, 'missing', `event ${expected} is missing (the next is ${e.seq})`);
    }
    const { hash, ...rest } = e;
    if (auditHash(rest) !== hash) return fail(e.seq, 'changed', `event ${e.seq} does not match its hash`);
    if (previous && e.prev !== previous.hash)
      return fail(
        previous.seq,
        'changed',
        `event ${previous.seq} was changed (event ${e.seq} chains to another hash)`,
      );
    if (!previous && start === 1 && e.prev !== GENESIS_HASH)
      return fail(e.seq, 'inserted', 'the first event does not start the chain');
    previous = e;
    expected = e.seq + 1;
  }
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  let witnessed: AuditWitness | undefined;
  for (const w of [...witnesses].sort((a, b) => a.seq - b.seq)) {
    const e = bySeq.get(w.seq);
    if (!e) continue;
    if (e.hash !== w.hash)
      return {
        ok: false,
        count: events.length,
        seq: w.seq,
        kind: 'witness',
        detail: `event ${w.seq} disagrees with the witness${w.at ? ` of ${w.at.slice(0, 10)}` : ''}: the chain was rewritten`,
      };
    witnessed = w;
  }
  return {
    ok: true,
    count: events.length,
    ...(previous ? { head: { seq: previous.seq, hash: previous.hash } } : {}),
    ...(witnessed ? { witnessed } : {}),
  };
}

const DAY_SECONDS = 86_400;

/**
 * Copies every event the archive does not hold yet to it, a batch per object, and only then lets those events expire
 * from the table (`retentionDays` after each one's time): retention never removes an event that is not archived.
 * The newest archived event is kept until a later one is archived, so the table always holds the chain's head and an
 * append after a quiet year still chains onto it. Safe to run twice at once: the loser of the race for the mark has
 * written a copy of the same events. Returns how many events it archived.
 */
export async function archiveAudit(
  deps: { store: ArchivedAuditStore; archive: AuditArchive; retentionDays: number },
  options: { batch?: number } = {},
): Promise<number> {
  const batch = options.batch ?? 1000;
  let archived = 0;
  for (;;) {
    const through = await deps.store.archivedThrough();
    // From the last archived event, which may now expire once the newer ones are archived.
    const read = await deps.store.range(Math.max(1, through), batch + 1);
    const fresh = read.filter((e) => e.seq > through);
    const newest = fresh.at(-1);
    if (!newest) return archived;
    await deps.archive.write(fresh);
    const expiring = read.filter((e) => e.seq < newest.seq);
    const expiresAt = (e: AuditEvent) =>
      Math.floor(Date.parse(e.at) / 1000) + deps.retentionDays * DAY_SECONDS;
    if (await deps.store.markArchived(expiring, through, newest.seq, expiresAt)) archived += fresh.length;
  }
}

/**
 * The whole trail from `fromSeq`: the archive's events, then the table's events the archive does not hold yet.
 * Where both hold an event, the archive's write-once copy is the one walked; a table copy that differs from it is
 * reported as that event changed. Without an archive, the table's events are walked in the table's order.
 */
export function mergeTrail(
  archived: readonly AuditEvent[],
  live: readonly AuditEvent[],
): { events: AuditEvent[]; differs?: number } {
  if (archived.length === 0) return { events: [...live] };
  const events: AuditEvent[] = [];
  const kept = new Map<number, string>();
  for (const e of archived) {
    const text = canonicalJson(e);
    const seen = kept.get(e.seq);
    if (seen === text) continue;
    if (seen === undefined) kept.set(e.seq, text);
    events.push(e);
  }
  let differs: number | undefined;
  for (const e of live) {
    const copy = kept.get(e.seq);
    if (copy === undefined) events.push(e);
    else if (copy !== canonicalJson(e) && differs === undefined) differs = e.seq;
  }
  // In sequence order (a stable sort, so two differing copies of one event stay side by side for the walk to see).
  events.sort((a, b) => a.seq - b.seq);
  return { events, ...(differs !== undefined ? { differs } : {}) };
}

/** `verifyChain` over the archive and the table as one chain. */
export function verifyTrail(
  archived: readonly AuditEvent[],
  live: readonly AuditEvent[],
  witnesses: readonly AuditWitness[] = [],
  options: { fromSeq?: number } = {},
): Verification {
  const { events, differs } = mergeTrail(archived, live);
  const v = verifyChain(events, witnesses, options);
  if (differs !== undefined && (v.ok || differs <= v.seq))
    return {
      ok: false,
      count: events.filter((e) => e.seq < differs).length,
      seq: differs,
      kind: 'changed',
      detail: `event ${differs} in the table differs from its archived copy`,
    };
  return v;
}
