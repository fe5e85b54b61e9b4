import { describe, expect, it } from 'vitest';
import {
  type AuditEvent,
  type AuditStore,
  type AuditWitness,
  auditHash,
  GENESIS_HASH,
} from '../../src/domain/audit.js';
import { fixedClock } from '../../src/domain/clock.js';
import { appendAudit, verifyChain } from '../../src/services/audit.js';

/** An in-memory trail with the same contract as the DynamoDB one (a sequence number is taken once). */
function memoryStore(): AuditStore & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  const taken = new Set<number>();
  const witnesses: AuditWitness[] = [];
  return {
    events,
    head: async () => events.at(-1),
    put: async (e) => {
      if (taken.has(e.seq)) return false;
      taken.add(e.seq);
      events.push(e);
      return true;
    },
    range: async (from, limit) => events.filter((e) => e.seq >= from).slice(0, limit),
    recent: async (limit, before) =>
      events
        .filter((e) => !before || e.seq < before)
        .slice(-limit)
        .reverse(),
    recordWitness: async (w) => {
      witnesses.push(w);
    },
    witnesses: async () => witnesses,
  };
}

async function chain(n: number): Promise<AuditEvent[]> {
  const store = memoryStore();
  const clock = fixedClock('2026-11-20T09:00:00Z');
  for (let i = 0; i < n; i++)
    await appendAudit(store, clock, {
      type: 'key.revoked',
      actor: { user: 'U1' },
      subject: { key: `k${i}`, n: i },
    });
  return store.events;
}

describe('the audit chain', () => {
  it('verifies an intact chain of 10 000 events and names its head', async () => {
    const events = await chain(10_000);
    const v = verifyChain(events);
    expect(v).toMatchObject({ ok: true, count: 10_000, head: { seq: 10_000, hash: events.at(-1)?.hash } });
    expect(events[0]?.prev).toBe(GENESIS_HASH);
  });

  it('finds a changed field, a deleted event, an inserted event and two swapped events, each where it happened', async () => {
    const events = await chain(10_000);
    const changed = events.map((e) =>
      e.seq === 4_321 ? { ...e, subject: { ...e.subject, key: 'forged' } } : e,
    );
    expect(verifyChain(changed)).toMatchObject({ ok: false, seq: 4_321, kind: 'changed' });
    // Changed and re-hashed: the next event no longer chains to it.
    const rehashed = events.map((e) => {
      if (e.seq !== 4_321) return e;
      const { hash: _h, ...rest } = { ...e, subject: { key: 'forged' } };
      return { ...rest, hash: auditHash(rest) };
    });
    expect(verifyChain(rehashed)).toMatchObject({ ok: false, seq: 4_321, kind: 'changed' });
    const deleted = events.filter((e) => e.seq !== 777);
    expect(verifyChain(deleted)).toMatchObject({ ok: false, seq: 777, kind: 'missing' });
    const extra = { ...(events[4_999] as AuditEvent), subject: { key: 'planted' } };
    const inserted = [...events.slice(0, 5_000), extra, ...events.slice(5_000)];
    expect(verifyChain(inserted)).toMatchObject({ ok: false, seq: 5_000, kind: 'inserted' });
    const swapped = [...events];
    [swapped[8_000], swapped[8_001]] = [swapped[8_001] as AuditEvent, swapped[8_000] as AuditEvent];
    expect(verifyChain(swapped)).toMatchObject({ ok: false, seq: 8_001, kind: 'out_of_order' });
  });

  it('catches a chain rewritten whole (every hash recomputed) against the witness posted in Slack', async () => {
    const events = await chain(2_000);
    const witness = { seq: 1_500, hash: events[1_499]?.hash as string, at: '2026-11-20T09:00:00Z' };
    // The forger rewrites event 1 000 and recomputes every hash after it: the chain is consistent again.
    const forged: AuditEvent[] = [];
    for (const e of events) {
      const prev = forged.at(-1)?.hash ?? GENESIS_HASH;
      const subject = e.seq === 1_000 ? { key: 'forged' } : e.subject;
      const { hash: _h, ...rest } = { ...e, subject, prev };
      forged.push({ ...rest, hash: auditHash(rest) });
    }
    expect(verifyChain(forged)).toMatchObject({ ok: true });
    expect(verifyChain(forged, [witness])).toMatchObject({ ok: false, seq: 1_500, kind: 'witness' });
    expect(verifyChain(events, [witness])).toMatchObject({ ok: true, witnessed: witness });
  });

  it('two writers at once make one unbroken chain, losing nothing', async () => {
    const store = memoryStore();
    const clock = fixedClock('2026-11-20T09:00:00Z');
    // The head read and the put interleave: the loser of each race reads the head again.
    const slow: AuditStore = {
      ...store,
      head: async () => {
        const h = await store.head();
        await new Promise((r) => setTimeout(r, 0));
        return h;
      },
    };
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => appendAudit(slow, clock, { type: 'test', subject: { i } })),
    );
    const sorted = [...store.events].sort((a, b) => a.seq - b.seq);
    expect(verifyChain(sorted)).toMatchObject({ ok: true, count: 40 });
    expect(new Set(sorted.map((e) => (e.subject as { i: number }).i)).size).toBe(40);
  });
});
