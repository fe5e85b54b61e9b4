import type { Clock } from '../domain/clock.js';
import type { InventoryStore } from '../domain/inventory.js';
import type { Logger } from '../domain/logger.js';
import { silentLogger } from '../domain/logger.js';
import type {
  OperationContext,
  Provider,
  ReadSource,
  StaleListing,
  StaleQuery,
  UserSummary,
} from '../domain/provider.js';
import { durationText } from '../util/time.js';

export interface InventoriedOptions {
  /** How old the inventory's last refresh may be for a read to be answered from it; 0 never reads it. */
  maxAgeMs: number;
  clock: Clock;
  /** Where a failed inventory read is logged (the read then goes to the vendor). */
  logger?: Logger;
}

/** How many people a lookup reads from the inventory: enough to say "N users match" and list ten. */
const PEOPLE_LIMIT = 50;

/**
 * A vendor whose listings and lookups are answered from the inventory while it is fresh enough, and from the vendor
 * otherwise. Only the reads that show people a list go through the inventory: `currentKeys` (what revocation checks
 * each key against just before deleting), `revoke`, a profile and the digest always ask the vendor, and so does a
 * listing that confirms known keys (`wanted`). Every answer says where it came from (`ReadSource`).
 */
export function inventoried(vendor: Provider, store: InventoryStore, options: InventoriedOptions): Provider {
  const logger = options.logger ?? silentLogger;

  /** The inventory's last refresh when a read may use it; otherwise how the vendor's answer is to be labelled. */
  async function decide(ctx: OperationContext): Promise<{ asOf: string } | { live: ReadSource }> {
    if (ctx.live || options.maxAgeMs <= 0) return { live: { from: 'live' } };
    let refreshedAt: string | undefined;
    try {
      refreshedAt = (await store.status(vendor.vendor)).current?.refreshedAt;
    } catch (err) {
      logger.warn('could not read the inventory’s status; reading the vendor', {
        vendor: vendor.vendor,
        err,
      });
      return { live: { from: 'live', fallback: 'the inventory could not be read: read live' } };
    }
    if (!refreshedAt)
      return { live: { from: 'live', fallback: 'the inventory is not built yet: read live' } };
    const age = options.clock.now().getTime() - Date.parse(refreshedAt);
    if (age > options.maxAgeMs)
      return {
        live: {
          from: 'live',
          fallback: `the inventory is ${durationText(age)} old, older than ${durationText(options.maxAgeMs)}: read live`,
        },
      };
    return { asOf: refreshedAt };
  }

  /** An inventory read that fails is not the end of the answer: the vendor is asked instead, and that is said. */
  async function readInventory<T>(
    asOf: string,
    fromInventory: () => Promise<T>,
    fromVendor: () => Promise<T>,
  ): Promise<{ value: T; read: ReadSource }> {
    try {
      return { value: await fromInventory(), read: { from: 'inventory', asOf } };
    } catch (err) {
      logger.warn('could not read the inventory; reading the vendor', { vendor: vendor.vendor, err });
      return {
        value: await fromVendor(),
        read: { from: 'live', fallback: 'the inventory could not be read: read live' },
      };
    }
  }

  const meaning = vendor.tracksUse
    ? undefined
    : `${vendor.label} records no last use, so "stale" here means created more than the given days ago and still active.`;

  const read: Provider = {
    vendor: vendor.vendor,
    label: vendor.label,
    tracksUse: vendor.tracksUse,
    revokeBatchSize: vendor.revokeBatchSize,

    async listStale(query: StaleQuery, ctx: OperationContext): Promise<StaleListing> {
      // Confirming known keys is a decision's input: it is never answered from a copy.
      if (query.wanted) return vendor.listStale(query, ctx);
      const how = await decide(ctx);
      if ('live' in how) return { ...(await vendor.listStale(query, ctx)), read: how.live };
      const { value, read: from } = await readInventory<StaleListing>(
        how.asOf,
        async () => {
          const idle = await store.idleKeys(vendor.vendor, query.cutoff, query.type);
          return {
            stale: idle.stale,
            neverUsed: idle.neverUsed,
            scan: 'sorted',
            ...(meaning ? { meaning } : {}),
          };
        },
        () => vendor.listStale(query, ctx),
      );
      return { ...value, read: from };
    },

    async findUsers(query: string, ctx: OperationContext): Promise<UserSummary[]> {
      const how = await decide(ctx);
      if ('live' in how) {
        const users = await vendor.findUsers(query, ctx);
        ctx.onRead?.(how.live);
        return users;
      }
      const { value, read: from } = await readInventory(
        how.asOf,
        () => store.findPeople(vendor.vendor, query, PEOPLE_LIMIT),
        () => vendor.findUsers(query, ctx),
      );
      ctx.onRead?.(from);
      return value;
    },

    // One person's profile holds groups, passkeys and recent events the inventory does not keep, and is a few
    // requests: it is always read from the vendor.
    userProfile: (userId, ctx) => vendor.userProfile(userId, ctx),
    currentKeys: (refs, hint, ctx) => vendor.currentKeys(refs, hint, ctx),
    revoke: (keys, ctx) => vendor.revoke(keys, ctx),
    // The digest's own figures come from the vendor; its stale keys are listed as `/keys stale` lists them.
    digest: (input, ctx, log) =>
      vendor.digest(input, { ...ctx, listStale: (query) => read.listStale(query, ctx) }, log),
  };
  return read;
}
