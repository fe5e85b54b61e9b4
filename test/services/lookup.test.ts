import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupUser } from '../../src/services/lookup.js';
import { type IdmelonHarness, idmelonHarness } from '../helpers/idmelon.js';

describe('user lookup (IDmelon)', () => {
  let h: IdmelonHarness;
  beforeAll(async () => {
    h = await idmelonHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const alice = () => h.sandbox.workspace.users[0] as (typeof h.sandbox.workspace.users)[0];

  it('finds a user by email, case-insensitively, with keys, passkeys and groups', async () => {
    const report = await lookupUser([h.provider], 'Alice@Acme.example');
    const r = report.results[0];
    expect(r?.kind).toBe('found');
    if (r?.kind !== 'found') return;
    const ws = h.sandbox.workspace;
    expect(r.profile.user).toMatchObject({
      id: alice()._id,
      email: 'alice@acme.example',
      name: 'Alice Anders',
    });
    expect(r.profile.keys.map((k) => k.id).sort()).toEqual(
      ws.keys
        .filter((k) => k.ownerId === alice()._id)
        .map((k) => k._id)
        .sort(),
    );
    expect(r.profile.passkeys.map((p) => p.id)).toEqual(
      ws.passkeys.filter((p) => p.userId === alice()._id).map((p) => p._id),
    );
    expect(r.profile.groups.map((g) => g.id).sort()).toEqual([...alice().groupIds].sort());
    const badge = r.profile.keys.find((k) => k.type === 'badge' && k.lastUsedAt !== null && k.uses !== null);
    expect(badge).toBeDefined();
  });

  it('shows each key with name, type, last use, uses and flags', async () => {
    const report = await lookupUser([h.provider], alice().email);
    const r = report.results[0];
    if (r?.kind !== 'found') throw new Error(`expected found, got ${r?.kind}`);
    const raw = h.sandbox.workspace.keys.find(
      (k) => k.ownerId === alice()._id && k.type === 'desktop' && k.lastActivityAt === null,
    );
    const shown = r.profile.keys.find((k) => k.id === raw?._id);
    expect(shown).toEqual({
      vendor: 'idmelon',
      id: raw?._id,
      name: raw?.name,
      type: 'desktop',
      owner: { id: alice()._id, email: alice().email, name: alice().name },
      lastUsedAt: null,
      uses: 0,
      status: 'active',
      blocked: raw?.isBlocked,
      offlineAccess: raw?.hasOfflineAccess,
    });
  });

  it('finds a user by id', async () => {
    const user = h.sandbox.workspace.users[42];
    const report = await lookupUser([h.provider], user?._id as string);
    expect(report.results[0]).toMatchObject({
      kind: 'found',
      profile: { user: { id: user?._id, email: user?.email } },
    });
  });

  /** A user whose name, in any case and word order, matches nobody else. */
  function uniquelyNamed() {
    const users = h.sandbox.workspace.users;
    const hits = (words: string[]) =>
      users.filter((v) => words.every((w) => `${v.name} ${v.email}`.toLowerCase().includes(w.toLowerCase())));
    const user = users.find((u) => u.name.split(' ').length === 2 && hits(u.name.split(' ')).length === 1);
    if (!user) throw new Error('the seed has no uniquely named user');
    return user;
  }

  it('finds a user by their name, whatever its case', async () => {
    const user = uniquelyNamed();
    const report = await lookupUser([h.provider], user.name.toUpperCase());
    expect(report.results[0]).toMatchObject({ kind: 'found', profile: { user: { id: user._id } } });
  });

  it('finds a user by the words of their name in any order', async () => {
    const user = uniquelyNamed();
    const report = await lookupUser([h.provider], user.name.split(' ').reverse().join('  '));
    expect(report.results[0]).toMatchObject({ kind: 'found', profile: { user: { id: user._id } } });
  });

  it('lists candidates when several users match', async () => {
    const report = await lookupUser([h.provider], 'alice');
    const r = report.results[0];
    const all = h.sandbox.workspace.users.filter((u) =>
      `${u.name} ${u.email}`.toLowerCase().includes('alice'),
    );
    expect(r).toMatchObject({ kind: 'ambiguous', totalMatches: all.length });
    if (r?.kind === 'ambiguous') expect(r.matches).toHaveLength(10);
  });

  it('says no user matches when none does', async () => {
    const report = await lookupUser([h.provider], 'nobody@nowhere.example');
    expect(report.results[0]?.kind).toBe('none');
  });

  it('answers a repeat lookup from the warm directory without re-reading the users list', async () => {
    await lookupUser([h.provider], alice().email);
    h.sandbox.server.clearLog();
    const report = await lookupUser([h.provider], h.sandbox.workspace.users[7]?.email as string);
    expect(report.results[0]?.kind).toBe('found');
    expect(h.sandbox.server.count('/administrator/tokens/v2')).toBe(0);
    expect(report.results[0]?.requests).toBe(4);
  });

  it('asks IDmelon directly for an id the cached list does not hold', async () => {
    await lookupUser([h.provider], alice().email);
    const ghost = '0123456789abcdef01234567';
    const report = await lookupUser([h.provider], ghost);
    expect(report.results[0]?.kind).toBe('none');
    expect(h.sandbox.server.count(`/administrator/tokens/${ghost}`)).toBe(1);
  });
});

describe('user lookup directory load', () => {
  it('reads the users list in parallel pages once total is known', async () => {
    const h = await idmelonHarness({ users: 1000, keys: 100, logs: 0, pageCap: 50 });
    try {
      const report = await lookupUser([h.provider], 'alice@acme.example');
      expect(report.results[0]?.kind).toBe('found');
      expect(h.sandbox.server.count('/administrator/tokens/v2')).toBe(20);
    } finally {
      await h.close();
    }
  });
});
