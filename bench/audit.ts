import { performance } from 'node:perf_hooks';
import type { AuditEvent } from '../src/domain/audit.js';
import { fixedClock } from '../src/domain/clock.js';
import { startLocalDynamo } from '../src/local/dynamo.js';
import { appendAudit, verifyChain } from '../src/services/audit.js';
import { AuditTrailStore } from '../src/store/audit.js';
import { documentClient } from '../src/store/table.js';
import { ms, type Section } from './lib.js';

const WRITERS = 20;
const PER_WRITER = 50;
const VERIFY_EVENTS = 100_000;
const VERIFY_GOAL_MS = 5_000;

/**
 * The audit trail: append throughput with 20 writers racing for the next sequence number on dynalite (one
 * conditional put each; the losers read the head again), next to one writer alone; and verifying 100 000 events.
 */
export async function benchAudit(): Promise<Section> {
  const clock = fixedClock('2026-11-20T09:00:00Z');
  const dynamo = await startLocalDynamo({ table: 'keywarden' });
  let alone: number;
  let racing: number;
  let chainOk: boolean;
  let conflicts = 0;
  try {
    const store = new AuditTrailStore(documentClient(dynamo.client), 'keywarden');
    const counting = {
      ...store,
      head: () => store.head(),
      range: (f: number, l: number) => store.range(f, l),
      recent: (l: number, b?: number) => store.recent(l, b),
      recordWitness: store.recordWitness.bind(store),
      witnesses: store.witnesses.bind(store),
      put: async (e: AuditEvent) => {
        const ok = await store.put(e);
        if (!ok) conflicts++;
        return ok;
      },
    };
    let t = performance.now();
    for (let i = 0; i < PER_WRITER * 2; i++)
      await appendAudit(counting, clock, { type: 'bench', subject: { i } });
    alone = ((PER_WRITER * 2) / (performance.now() - t)) * 1000;
    t = performance.now();
    await Promise.all(
      Array.from({ length: WRITERS }, (_, w) =>
        (async () => {
          for (let i = 0; i < PER_WRITER; i++)
            await appendAudit(counting, clock, { type: 'bench', subject: { w, i } });
        })(),
      ),
    );
    racing = ((WRITERS * PER_WRITER) / (performance.now() - t)) * 1000;
    chainOk = verifyChain(await store.range(1, 1_000_000)).ok;
  } finally {
    await dynamo.close();
  }
  // Verifying: 100 000 events built in memory, then walked (hashing each, checking each link).
  const events: AuditEvent[] = [];
  const memory = {
    head: async () => events.at(-1),
    put: async (e: AuditEvent) => {
      events.push(e);
      return true;
    },
    range: async () => events,
    recent: async () => [],
    recordWitness: async () => undefined,
    witnesses: async () => [],
  };
  for (let i = 0; i < VERIFY_EVENTS; i++)
    await appendAudit(memory, clock, {
      type: 'key.revoked',
      actor: { user: 'U012ABCDEF' },
      subject: { request: 'R-0000TEST', key: `k${i}` },
    });
  const t = performance.now();
  const v = verifyChain(events);
  const verifyMs = performance.now() - t;
  return {
    title: 'Audit trail: appends and verification (issue 16)',
    setup: `in-memory dynalite; ${WRITERS} writers × ${PER_WRITER} events racing for the next sequence number, next to one writer alone; verification of ${VERIFY_EVENTS.toLocaleString('en-US')} events in memory`,
    rows: [
      { measure: 'appends per second, one writer', value: alone.toFixed(0), goal: '' },
      { measure: `appends per second, ${WRITERS} writers at once`, value: racing.toFixed(0), goal: '' },
      {
        measure: 'sequence numbers lost to another writer (then retried)',
        value: String(conflicts),
        goal: '',
      },
      {
        measure: 'the raced chain verifies, no fork, no lost event',
        value: chainOk ? 'yes' : 'no',
        goal: 'yes',
        met: chainOk,
      },
      {
        measure: `verify ${VERIFY_EVENTS.toLocaleString('en-US')} events`,
        value: ms(verifyMs),
        goal: `≤ ${VERIFY_GOAL_MS.toLocaleString('en-US')} ms`,
        met: v.ok && verifyMs <= VERIFY_GOAL_MS,
      },
    ],
    notes: [
      'Every append is one conditional put on the next sequence number in one partition, so writers at once take turns: throughput stays about that of one writer, and each lost race costs a head read and a retry.',
    ],
  };
}
