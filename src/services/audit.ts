import {
  type AuditEvent,
  type AuditEventInput,
  type AuditStore,
  type AuditWitness,
  auditHash,
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
