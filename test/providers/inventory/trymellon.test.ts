import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startTryMellonSandbox, type TryMellonSandbox } from '../../../sandbox/trymellon/index.js';
import type { TmCredential } from '../../../sandbox/trymellon/workspace.js';
import { Deadline, newMeter } from '../../../src/domain/deadline.js';
import type { InventorySource, RangeRead } from '../../../src/domain/inventory.js';
import type { Key } from '../../../src/domain/provider.js';
import { staticSecret } from '../../../src/http/credentials.js';
import { undiciTransport } from '../../../src/http/transport.js';
import { createTryMellonProvider } from '../../../src/providers/trymellon/index.js';
import { trymellonVendor } from '../../../src/providers/trymellon/vendor.js';
import { fastRetry, NOW } from '../../helpers/idmelon.js';

const ctx = () => ({ deadline: Deadline.after(30_000), meter: newMeter() });
const AUDIT = '/v1/audit-logs';
const USERS = '/v1/users';
const CREDENTIALS = /^\/v1\/users\/[^/]+\/credentials$/;

const expected = (c: TmCredential) => ({
  id: c.credential_id,
  owner: c.userExternalId,
  lastUsedAt: c.last_used_at ? new Date(c.last_used_at).toISOString() : null,
  status: 'active',
});
const held = (k: Key) => ({ id: k.id, owner: k.owner.id, lastUsedAt: k.lastUsedAt, status: k.status });
const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe('TryMellon inventory source', () => {
  let sb: TryMellonSandbox | undefined;
  const transport = undiciTransport();
  afterEach(async () => {
    await sb?.close();
    sb = undefined;
  });
  afterAll(() => transport.close());

  async function setup(
    users = 250,
    events = 2000,
  ): Promise<{ sb: TryMellonSandbox; source: () => InventorySource }> {
    const started = await startTryMellonSandbox({ now: NOW, users, events });
    sb = started;
    const source = () => {
      const provider = createTryMellonProvider({
        baseUrl: started.url,
        clientId: staticSecret(started.clientId),
        clientSecret: staticSecret(started.clientSecret),
        transport,
        retry: fastRetry,
      });
      return trymellonVendor.inventory?.(provider) as InventorySource;
    };
    return { sb: started, source };
  }

  /** Every range, following each one's `next`, as the sync engine does. */
  async function fullSync(source: InventorySource) {
    const pending = await source.planFullSync(ctx());
    const reads: RangeRead[] = [];
    const ids: string[] = [];
    for (let r = pending.shift(); r; r = pending.shift()) {
      ids.push(r.id);
      const read = await source.readRange(r, ctx());
      reads.push(read);
      if (read.next) pending.push(read.next);
    }
    return { ids, reads };
  }

  it('reads a page of users and all their passkeys per range: the union is every active passkey and user', async () => {
    const { sb, source } = await setup();
    const { ids, reads } = await fullSync(source());
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    const w = sb.workspace;
    const keys = reads.flatMap((r) => r.keys);
    expect(keys.map(held).sort(byId)).toEqual(
      w.credentials
        .filter((c) => c.status === 'active')
        .map(expected)
        .sort(byId),
    );
    expect(
      reads
        .flatMap((r) => r.people)
        .map((p) => p.id)
        .sort(),
    ).toEqual(w.users.map((u) => u.external_user_id).sort());
    expect(sb.server.count(USERS)).toBe(3);
    expect(sb.server.count(CREDENTIALS)).toBe(w.users.length);
  });

  it('reports what the audit log shows since the cursor, reading only the users it names', async () => {
    const { sb, source: make } = await setup();
    const source = make();
    const cursor = await source.cursorNow(ctx());
    await fullSync(source);
    const w = sb.workspace;
    const activeOf = (ext: string) =>
      w.credentials.filter((c) => c.userExternalId === ext && c.status === 'active');
    const [u1, u2, u3, u4] = w.users
      .filter((u) => activeOf(u.external_user_id).length > 0)
      .slice(1, 5)
      .map((u) => u.external_user_id) as [string, string, string, string];
    sb.activity.authenticate((activeOf(u1)[0] as TmCredential).credential_id);
    const registered = sb.activity.registerPasskey(u2);
    const revoked = (activeOf(u3)[0] as TmCredential).credential_id;
    sb.activity.revoke(revoked);
    sb.activity.createUser('new.hire@acme.example');
    sb.activity.deleteUser(u4);
    sb.server.clearLog();

    const changes = await source.changesSince(cursor, ctx());
    expect([...(changes.ownersReread ?? [])].sort()).toEqual(
      [u1, u2, u3, u4, 'new.hire@acme.example'].sort(),
    );
    expect(changes.keys.map(held).sort(byId)).toEqual(
      [...activeOf(u1), ...activeOf(u2), ...activeOf(u3)].map(expected).sort(byId),
    );
    expect(changes.keys.map((k) => k.id)).toContain(registered.credential_id);
    expect(changes.keys.map((k) => k.id)).not.toContain(revoked);
    expect(changes.people.map((p) => p.id)).toEqual(['new.hire@acme.example']);
    expect(changes.removedPeople).toEqual([u4]);
    // One audit page; the users list read once to learn the new user's external id (it is the last page's);
    // one credentials request per user still there.
    expect(sb.server.count(AUDIT)).toBe(1);
    expect(sb.server.count(USERS)).toBe(3);
    expect(sb.server.count(CREDENTIALS)).toBe(4);

    sb.server.clearLog();
    const again = await source.changesSince(changes.cursor, ctx());
    expect(again).toMatchObject({ keys: [], ownersReread: [], people: [], removedPeople: [] });
    expect(sb.server.requests.filter((r) => r.path !== '/oauth/token')).toHaveLength(1);
  });

  it('refreshes after 1 000 sign-ins by N users in at most 1 000/100 + 1 audit pages and N passkey reads', async () => {
    const { sb, source: make } = await setup(300, 3000);
    const w = sb.workspace;
    const users = w.users.filter((u) =>
      w.credentials.some((c) => c.userExternalId === u.external_user_id && c.status === 'active'),
    );
    const touched = users.slice(0, 37).map((u) => u.external_user_id);
    const creds = touched.map(
      (ext) => w.credentials.find((c) => c.userExternalId === ext && c.status === 'active') as TmCredential,
    );

    const warm = make();
    const cursor = await warm.cursorNow(ctx());
    await fullSync(warm);
    const cold = make();
    const start = Date.parse(w.events[0]?.created_at as string) + 10_000;
    for (let i = 0; i < 1000; i++)
      sb.activity.authenticate(
        (creds[i % creds.length] as TmCredential).credential_id,
        new Date(start + i * 1000),
      );

    sb.server.clearLog();
    const changes = await warm.changesSince(cursor, ctx());
    const requests = sb.server.requests.filter((r) => r.path !== '/oauth/token').length;
    expect([...(changes.ownersReread ?? [])].sort()).toEqual([...touched].sort());
    // 1 000 new events fill 10 pages; the 11th shows the first event older than the cursor, where the walk stops.
    expect(sb.server.count(AUDIT)).toBe(11);
    expect(sb.server.count(CREDENTIALS)).toBe(touched.length);
    expect(requests).toBeLessThanOrEqual(1000 / 100 + 1 + touched.length);

    // A process that has not seen the users yet reads the users list once more, stopping when all are matched.
    sb.server.clearLog();
    await cold.changesSince(cursor, ctx());
    const coldRequests = sb.server.requests.filter((r) => r.path !== '/oauth/token').length;
    expect(coldRequests).toBeLessThanOrEqual(11 + touched.length + Math.ceil(w.users.length / 100));
  });

  it('still stops at the cursor when the event it points at was erased with its user', async () => {
    const { sb, source: make } = await setup(50, 500);
    const source = make();
    const newest = sb.workspace.events.find((e) => e.user_id);
    const owner = sb.workspace.users.find((u) => u.id === newest?.user_id);
    const cursor = await source.cursorNow(ctx());
    if (!owner) throw new Error('no owner');
    sb.activity.deleteUser(owner.external_user_id);
    sb.server.clearLog();
    const changes = await source.changesSince(cursor, ctx());
    expect(sb.server.count(AUDIT)).toBe(1);
    // This process never saw the deleted user: the daily full sync removes them.
    expect(changes.removedPeople).toEqual([]);
  });
});
