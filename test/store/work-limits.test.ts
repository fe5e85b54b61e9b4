import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PersonJobInput } from '../../src/jobs/job.js';
import { documentClient, ensureTable } from '../../src/store/table.js';
import { type Admission, sameWorkKey, WorkLimits } from '../../src/store/work-limits.js';
import { localTable } from '../helpers/dynamo.js';

const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const TTL = 900_000;

let n = 0;
function stale(
  user: string,
  days: number,
  over: Partial<PersonJobInput & { kind: 'keys.stale' }> = {},
): PersonJobInput {
  return {
    kind: 'keys.stale',
    id: `job-${++n}-0000`,
    origin: { user, channel: 'C0ADMINS', issuedAt: T0 },
    days,
    mode: 'report',
    ...over,
  };
}

describe('work limits (DynamoDB on dynalite)', () => {
  let db: Awaited<ReturnType<typeof localTable>>;
  let now = T0;
  let table = 0;

  beforeAll(async () => {
    db = await localTable();
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(() => {
    now = T0;
    table++;
  });

  /** A fresh board (its own table on the same dynalite) with these caps and the test's clock. */
  async function board(perUser = 3, total = 20): Promise<WorkLimits> {
    const name = `limits-${table}`;
    await ensureTable(db.client, name);
    return new WorkLimits(documentClient(db.client), {
      table: name,
      perUser,
      total,
      clock: { now: () => new Date(now) },
    });
  }

  const kinds = (as: Admission[]) => as.map((a) => a.kind);

  it('admits up to the per-person cap, then says how many are running', async () => {
    const l = await board(3, 20);
    const results = [];
    for (const days of [1, 2, 3, 4]) results.push(await l.admit(stale('UADMIN1', days)));
    expect(kinds(results)).toEqual(['admitted', 'admitted', 'admitted', 'user-limit']);
    expect(results[3]).toEqual({ kind: 'user-limit', limit: 3 });
    // Someone else is not held up by it.
    expect(await l.admit(stale('UADMIN2', 1))).toEqual({ kind: 'admitted' });
  });

  it('does not queue the same work twice for one person, and says where the first will answer', async () => {
    const l = await board();
    expect(await l.admit(stale('UADMIN1', 1))).toEqual({ kind: 'admitted' });
    expect(await l.admit(stale('UADMIN1', 1))).toEqual({ kind: 'coalesced', channel: 'C0ADMINS' });
    const elsewhere = stale('UADMIN1', 1);
    elsewhere.origin = { ...elsewhere.origin, channel: 'COTHER' };
    expect(await l.admit(elsewhere)).toEqual({ kind: 'coalesced', channel: 'C0ADMINS' });
    // Another person, or other parameters, are other work.
    expect(await l.admit(stale('UADMIN2', 1))).toEqual({ kind: 'admitted' });
    expect(await l.admit(stale('UADMIN1', 1, { type: 'badge' }))).toEqual({ kind: 'admitted' });
  });

  it('treats pages as separate work (they only count toward the caps), and a CSV like a scan', () => {
    const page = (id: string) => stale('UADMIN1', 90, { id, mode: 'page', offset: 20 });
    expect(sameWorkKey(page('job-a-0000'))).not.toBe(sameWorkKey(page('job-b-0000')));
    const csv = (id: string) => stale('UADMIN1', 90, { id, mode: 'csv' });
    expect(sameWorkKey(csv('job-a-0000'))).toBe(sameWorkKey(csv('job-b-0000')));
    expect(sameWorkKey(csv('job-a-0000'))).not.toBe(sameWorkKey(stale('UADMIN1', 90)));
    const lookup = (query: string): PersonJobInput => ({
      kind: 'user.lookup',
      id: `job-${++n}-0000`,
      origin: { user: 'UADMIN1', channel: 'C0ADMINS', issuedAt: T0 },
      query,
    });
    expect(sameWorkKey(lookup('Alice@Acme.example'))).toBe(sameWorkKey(lookup(' alice@acme.example')));
  });

  it('refuses everyone once the global cap is reached', async () => {
    const l = await board(3, 5);
    const users = ['U1', 'U2', 'U3'];
    const results: Admission[] = [];
    for (const u of users) for (const days of [1, 2]) results.push(await l.admit(stale(u, days)));
    expect(kinds(results).filter((k) => k === 'admitted')).toHaveLength(5);
    expect(results[5]).toEqual({ kind: 'global-limit', limit: 5 });
    expect(await l.admit(stale('U4', 1))).toEqual({ kind: 'global-limit', limit: 5 });
  });

  it('frees the slot when the job is released, and releasing twice does nothing', async () => {
    const l = await board(1, 20);
    const first = stale('UADMIN1', 1);
    expect(await l.admit(first)).toEqual({ kind: 'admitted' });
    expect((await l.admit(stale('UADMIN1', 2))).kind).toBe('user-limit');
    await l.release(first);
    await l.release(first);
    expect(await l.admit(stale('UADMIN1', 2))).toEqual({ kind: 'admitted' });
    // The released scan is no longer "already running" either.
    await l.release(stale('UADMIN1', 2));
  });

  it('stops counting a slot whose worker died once the slot expires', async () => {
    const l = await board(3, 20);
    // Three jobs admitted and never released: their worker died.
    for (const days of [1, 2, 3]) expect((await l.admit(stale('UADMIN1', days))).kind).toBe('admitted');
    expect((await l.admit(stale('UADMIN1', 1))).kind).toBe('coalesced');
    expect((await l.admit(stale('UADMIN1', 4))).kind).toBe('user-limit');
    now = T0 + TTL - 1;
    expect((await l.admit(stale('UADMIN1', 4))).kind).toBe('user-limit');
    now = T0 + TTL + 1;
    // The same scan is admitted again, and so are two others: the dead slots no longer count.
    expect((await l.admit(stale('UADMIN1', 1))).kind).toBe('admitted');
    expect((await l.admit(stale('UADMIN1', 4))).kind).toBe('admitted');
    expect((await l.admit(stale('UADMIN1', 5))).kind).toBe('admitted');
    expect((await l.admit(stale('UADMIN1', 6))).kind).toBe('user-limit');
  });

  it('prunes expired slots when a job is released, so the board does not grow', async () => {
    const l = await board(3, 20);
    for (const days of [1, 2, 3]) await l.admit(stale('UADMIN1', days));
    now = T0 + TTL + 1;
    const fresh = stale('UADMIN1', 9);
    await l.admit(fresh);
    await l.release(fresh);
    const item = (
      await documentClient(db.client).send(
        new GetCommand({ TableName: `limits-${table}`, Key: { pk: 'LIMITS', sk: 'WORK' } }),
      )
    ).Item as Record<string, unknown>;
    expect(item['u:UADMIN1']).toEqual([]);
    expect(item.all).toEqual([]);
    expect(Object.keys(item).filter((k) => k.startsWith('k:'))).toEqual([]);
  });

  it('never admits more than the caps when many ask at the same moment', async () => {
    const l = await board(3, 7);
    const users = ['U1', 'U2', 'U3', 'U4'];
    const jobs = users.flatMap((u) => Array.from({ length: 10 }, (_, i) => stale(u, i + 1)));
    const results = await Promise.all(jobs.map((j) => l.admit(j)));
    const admitted = jobs.filter((_, i) => results[i]?.kind === 'admitted');
    // DynamoDB applies conditional writes to one item one at a time, so the caps are filled exactly.
    expect(admitted).toHaveLength(7);
    for (const u of users) expect(admitted.filter((j) => j.origin.user === u).length).toBeLessThanOrEqual(3);
    // Nothing was released meanwhile, so every refusal is a cap, read back after the refused write.
    for (const r of results) expect(['admitted', 'user-limit', 'global-limit']).toContain(r.kind);
    // Releasing what was admitted, concurrently, empties the board.
    await Promise.all(admitted.map((j) => l.release(j)));
    expect((await l.admit(stale('U1', 99))).kind).toBe('admitted');
  });

  it('coalesces identical work asked for at the same moment into one job', async () => {
    const l = await board();
    const results = await Promise.all(Array.from({ length: 20 }, () => l.admit(stale('UADMIN1', 1))));
    expect(kinds(results).filter((k) => k === 'admitted')).toHaveLength(1);
    expect(kinds(results).filter((k) => k === 'coalesced')).toHaveLength(19);
  });
});
