import { describe, expect, it } from 'vitest';
import type { IdmelonSandbox } from '../../../sandbox/idmelon/index.js';
import type { TryMellonSandbox } from '../../../sandbox/trymellon/index.js';
import type { InventoryStore } from '../../../src/domain/inventory.js';
import type { VendorId } from '../../../src/domain/provider.js';
import { startLocalBot } from '../../../src/local/bot.js';
import { jsonLogger } from '../../../src/log.js';
import { TRYMELLON_MAX_LIMIT } from '../../../src/providers/trymellon/client.js';
import { NOW } from '../../helpers/idmelon.js';

const DAY = 86_400_000;
const FAR_FUTURE = new Date('9999-01-01T00:00:00.000Z');
const IDMELON_KEYS = '/administrator/securityDevice';
const IDMELON_LOGS = '/administrator/workspace/activity/logs';
const IDMELON_OWNER_KEYS = /^\/administrator\/tokens\/userInfo\/[^/]+\/securitykeys\/v2$/;
const TRYMELLON_AUDIT = '/v1/audit-logs';
const TRYMELLON_USERS = '/v1/users';
const TRYMELLON_CREDENTIALS = /^\/v1\/users\/[^/]+\/credentials$/;

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const iso = (at: string | null) => (at ? new Date(at).toISOString() : null);

/** Every key the current generation holds of a vendor, as the comparisons see it. */
async function held(store: InventoryStore, vendor: VendorId) {
  const { stale, neverUsed } = await store.idleKeys(vendor, FAR_FUTURE);
  return [...stale, ...neverUsed]
    .map((k) => ({ id: k.id, owner: k.owner.id, lastUsedAt: k.lastUsedAt }))
    .sort(byId);
}

/** What the vendors hold: their active keys (pending or revoked ones are left to the live listings). */
const idmelonKeys = (sb: IdmelonSandbox) =>
  sb.workspace.keys
    .filter((k) => k.status === 20)
    .map((k) => ({ id: k._id, owner: k.ownerId, lastUsedAt: iso(k.lastActivityAt) }))
    .sort(byId);
const trymellonKeys = (sb: TryMellonSandbox) =>
  sb.workspace.credentials
    .filter((c) => c.status === 'active')
    .map((c) => ({ id: c.credential_id, owner: c.userExternalId, lastUsedAt: iso(c.last_used_at) }))
    .sort(byId);

describe('the inventory kept by the local bot from the vendors’ own sources', () => {
  it('is refreshed from the change feeds by reading only what changed, and a full sync brings in the rest', async () => {
    let at = NOW.getTime();
    const bot = await startLocalBot({
      env: {},
      port: 0,
      dataDir: null,
      archiveDir: null,
      clock: { now: () => new Date(at) },
      vendors: ['idmelon', 'trymellon'],
      sandboxOptions: {
        idmelon: { users: 60, keys: 200, logs: 100 },
        // More users than one page of the users list: a user created since is found on the second.
        trymellon: { users: 150, events: 300 },
      },
      keepInventory: true,
      inventoryRefreshEveryMs: 0,
      sweepEveryMs: 0,
      archiveEveryMs: 0,
      policyCheckEveryMs: 0,
      inventorySettings: { rate: 1000 },
      logger: jsonLogger({ level: 'error', write: () => undefined }),
    });
    try {
      const { store } = bot.inventory;
      const idm = bot.sandboxes.idmelon;
      const tm = bot.sandboxes.trymellon;
      if (!idm || !tm) throw new Error('the bot started without the IDmelon and TryMellon sandboxes');
      expect(bot.inventory.vendorSources.map((s) => s.vendor).sort()).toEqual(['idmelon', 'trymellon']);

      // The full sync: each vendor's inventory is what the vendor holds.
      const synced = await bot.inventory.syncNow();
      expect(synced.map((s) => [s.vendor, s.outcome, s.published])).toEqual([
        ['idmelon', 'started', true],
        ['trymellon', 'started', true],
      ]);
      expect(await held(store, 'idmelon')).toEqual(idmelonKeys(idm));
      expect(await held(store, 'trymellon')).toEqual(trymellonKeys(tm));
      const firstIdmelon = (await store.status('idmelon')).current;
      const firstTrymellon = (await store.status('trymellon')).current;
      if (!firstIdmelon || !firstTrymellon) throw new Error('the full sync published nothing');

      // IDmelon: A signs in with a long-idle key, gets a new key and loses another; B signs in too; C loses a key
      // nobody used since; a user is added.
      const cutoff = new Date(NOW.getTime() - 90 * DAY);
      const active = () => idm.workspace.keys.filter((k) => k.status === 20);
      const activeOf = (owner: string) => active().filter((k) => k.ownerId === owner);
      const idle = (k: { lastActivityAt: string | null }) =>
        k.lastActivityAt === null || Date.parse(k.lastActivityAt) < cutoff.getTime();
      const usedA = active().find((k) => idle(k) && activeOf(k.ownerId).length >= 2);
      if (!usedA) throw new Error('no IDmelon owner with an idle key and another');
      const a = usedA.ownerId;
      const revokedA = activeOf(a).find((k) => k._id !== usedA._id);
      const usedB = active().find((k) => k.ownerId !== a);
      const revokedC = active().find((k) => k.ownerId !== a && k.ownerId !== usedB?.ownerId);
      if (!revokedA || !usedB || !revokedC)
        throw new Error('the IDmelon sandbox lacks the keys this test needs');
      const b = usedB.ownerId;
      const usedAt = new Date(NOW.getTime() + 60_000);
      idm.routes.useKey(usedA._id, usedAt);
      idm.routes.useKey(usedB._id, new Date(NOW.getTime() + 61_000));
      const addedA = idm.routes.addKey(a);
      idm.routes.revokeKey(revokedA._id);
      idm.routes.revokeKey(revokedC._id);
      const newcomer = idm.routes.addUser();

      // TryMellon: u1 signs in with a long-idle passkey, u2 registers one, u3's is revoked, a user is created.
      const tmActive = (ext: string) =>
        tm.workspace.credentials.filter((c) => c.userExternalId === ext && c.status === 'active');
      const withPasskeys = tm.workspace.users.filter((u) => tmActive(u.external_user_id).length > 0);
      const signIn = tm.workspace.credentials.find(
        (c) =>
          c.status === 'active' && (c.last_used_at === null || Date.parse(c.last_used_at) < cutoff.getTime()),
      );
      if (!signIn) throw new Error('the TryMellon sandbox has no long-idle passkey');
      const u1 = signIn.userExternalId;
      const [u2, u3] = withPasskeys.map((u) => u.external_user_id).filter((ext) => ext !== u1) as [
        string,
        string,
      ];
      const usersBefore = tm.workspace.users.length;
      const signedIn = tm.activity.authenticate(signIn.credential_id);
      const registered = tm.activity.registerPasskey(u2);
      const revokedU3 = (tmActive(u3)[0] as { credential_id: string }).credential_id;
      tm.activity.revoke(revokedU3);
      tm.activity.createUser('new.hire@acme.example');

      // One refresh of each vendor, through the queue.
      idm.server.clearLog();
      tm.server.clearLog();
      at += 60_000;
      await bot.inventory.queueRefresh();
      await bot.queue.idle();

      // IDmelon read one page of the logs, one page of the keys listing (newest use first) to learn whose keys
      // were used, and the keys of each of those two owners.
      expect(idm.server.count(IDMELON_LOGS)).toBe(1);
      expect(idm.server.count(IDMELON_KEYS)).toBe(1);
      expect(idm.server.count(IDMELON_OWNER_KEYS)).toBe(2);
      expect(idm.server.requests).toHaveLength(4);
      // TryMellon read one page of the audit log, the users list up to the page with the user it did not know, and
      // the passkeys of each of the four users the log names.
      const usersPages = Math.floor(usersBefore / TRYMELLON_MAX_LIMIT) + 1;
      expect(usersPages).toBe(2);
      expect(tm.server.count(TRYMELLON_AUDIT)).toBe(1);
      expect(tm.server.count(TRYMELLON_USERS)).toBe(usersPages);
      expect(tm.server.count(TRYMELLON_CREDENTIALS)).toBe(4);
      expect(tm.server.requests.filter((r) => r.path !== '/oauth/token')).toHaveLength(1 + usersPages + 4);

      // Readers see the same generations, refreshed in place.
      const refreshedIdmelon = (await store.status('idmelon')).current;
      const refreshedTrymellon = (await store.status('trymellon')).current;
      expect(refreshedIdmelon?.generation).toBe(firstIdmelon.generation);
      expect(refreshedTrymellon?.generation).toBe(firstTrymellon.generation);
      expect(refreshedIdmelon?.refreshedAt).toBe(new Date(at).toISOString());
      expect(refreshedIdmelon?.cursor).not.toBe(firstIdmelon.cursor);
      expect(refreshedTrymellon?.cursor).not.toBe(firstTrymellon.cursor);

      // IDmelon: what the logs show. A's and B's keys were read again whole: A's key used, A's new key and A's key
      // revoked are all as at the vendor.
      const keysOfA = await store.keysOf('idmelon', a);
      expect(keysOfA.find((k) => k.id === usedA._id)?.lastUsedAt).toBe(usedAt.toISOString());
      expect(keysOfA.map((k) => k.id)).toContain(addedA._id);
      expect(keysOfA.map((k) => k.id)).not.toContain(revokedA._id);
      expect((await store.keysOf('idmelon', b)).map((k) => k.id).sort()).toEqual(
        activeOf(b)
          .map((k) => k._id)
          .sort(),
      );
      const idleNow = await store.idleKeys('idmelon', cutoff);
      expect([...idleNow.stale, ...idleNow.neverUsed].map((k) => k.id)).not.toContain(usedA._id);
      // What they cannot show (schemas.ts): C's revoked key stays until the next full sync, the new user is not
      // known yet. Everything else is the vendor's.
      expect((await store.keysOf('idmelon', revokedC.ownerId)).map((k) => k.id)).toContain(revokedC._id);
      expect(await store.findPeople('idmelon', newcomer.email)).toEqual([]);
      expect((await held(store, 'idmelon')).filter((k) => k.id !== revokedC._id)).toEqual(idmelonKeys(idm));

      // TryMellon: the audit log shows every one of its changes.
      expect(
        (await store.keysOf('trymellon', u1)).find((k) => k.id === signIn.credential_id)?.lastUsedAt,
      ).toBe(new Date(signedIn.created_at).toISOString());
      expect((await store.keysOf('trymellon', u2)).map((k) => k.id)).toContain(registered.credential_id);
      expect((await store.keysOf('trymellon', u3)).map((k) => k.id)).not.toContain(revokedU3);
      expect((await store.findPeople('trymellon', 'new.hire@acme.example'))[0]?.id).toBe(
        'new.hire@acme.example',
      );
      expect(await held(store, 'trymellon')).toEqual(trymellonKeys(tm));

      // The next full sync publishes new generations, which hold what the feed could not show.
      at += DAY;
      const again = await bot.inventory.syncNow();
      expect(again.every((s) => s.outcome === 'started' && s.published)).toBe(true);
      const secondIdmelon = (await store.status('idmelon')).current;
      expect(secondIdmelon?.generation).not.toBe(firstIdmelon.generation);
      expect((await store.status('trymellon')).current?.generation).not.toBe(firstTrymellon.generation);
      expect((await store.keysOf('idmelon', revokedC.ownerId)).map((k) => k.id)).not.toContain(revokedC._id);
      expect((await store.findPeople('idmelon', newcomer.email))[0]?.id).toBe(newcomer._id);
      expect(await held(store, 'idmelon')).toEqual(idmelonKeys(idm));
      expect(secondIdmelon).toMatchObject({
        keys: active().length,
        people: idm.workspace.users.length,
      });
      expect(await held(store, 'trymellon')).toEqual(trymellonKeys(tm));
    } finally {
      await bot.close();
    }
  }, 60_000);
});
