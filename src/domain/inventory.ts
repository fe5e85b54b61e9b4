import type { Key, OperationContext, UserSummary } from './provider.js';
import type { VendorId } from './vendors.js';

/**
 * The inventory: an indexed copy of each vendor's keys and people, kept in the bot's table, so the questions asked
 * most (idle since a date, keys of an owner, a person by email, id or name) are answered without walking the vendor's
 * API. A full sync builds a new generation beside the current one and publishes it only once complete, so readers
 * never see a half-replaced inventory; incremental refreshes apply what changed since a cursor to the current one.
 * Decisions never rest on it: revocation re-reads every key from the vendor before deleting.
 */

/**
 * A stretch of a vendor's listing that one job reads on its own: an IDmelon `skip` window, a TryMellon page of users
 * by cursor, Solvimon's whole list. Opaque to everything but its source.
 */
export interface SyncRange {
  /** Unique within one generation; stable, so a range read twice after a crash is stored once. */
  id: string;
  /** What the range holds. */
  kind: 'keys' | 'people' | 'all';
  /** Where it starts in the vendor's listing: a skip, a cursor; absent for the listing's start. */
  start?: string | number;
  /** How many items it covers, when the listing is cut by count. */
  size?: number;
}

export interface RangeRead {
  keys: Key[];
  people: UserSummary[];
  /** The range after this one, for a listing discovered page by page (a cursor from this page). */
  next?: SyncRange;
}

/** What changed at a vendor since a cursor, as its change feed tells it. */
export interface InventoryChanges {
  /** Keys as the vendor has them now: added or replaced by id. */
  keys: Key[];
  /** Ids of keys the vendor no longer has (revoked, deleted). */
  removedKeys: string[];
  /**
   * People whose keys were read again whole: for them, `keys` holds every key they have now, and any other key the
   * inventory holds for them is gone.
   */
  ownersReread?: string[];
  /** People as the vendor has them now: added or replaced by id. */
  people: UserSummary[];
  removedPeople: string[];
  /**
   * The vendor's whole listing, read again because it has no change feed (Solvimon): `keys` and `people` are
   * everything the vendor has now, and any key or person the inventory holds beyond them is gone.
   */
  complete?: true;
  /** Where the next refresh starts. */
  cursor: string;
}

/**
 * How one vendor's data is read into the inventory. Each implementation writes down, beside its schema, what its
 * change feed carries and what it misses (which is why a full sync still runs daily).
 */
export interface InventorySource {
  readonly vendor: VendorId;
  /** The cursor for changes from now on: taken before a full sync reads anything, so nothing in between is lost. */
  cursorNow(ctx: OperationContext): Promise<string>;
  /** A full sync's ranges, from the listing's totals; or only the first, for a listing read by cursor. */
  planFullSync(ctx: OperationContext): Promise<SyncRange[]>;
  readRange(range: SyncRange, ctx: OperationContext): Promise<RangeRead>;
  changesSince(cursor: string, ctx: OperationContext): Promise<InventoryChanges>;
}

export interface InventoryGeneration {
  generation: string;
  /** When the full sync that built it started reading: what it holds is at least this recent. */
  syncedAt: string;
  /** When an incremental refresh last brought it up to date (the full sync's time until one has). */
  refreshedAt: string;
  /** The change feed's cursor after the last refresh. */
  cursor?: string;
  keys: number;
  people: number;
}

export interface InventoryBuild {
  generation: string;
  startedAt: string;
  /** The change feed's cursor taken before the build started reading. */
  cursor?: string;
  ranges: number;
  done: number;
  /** When a range was last stored (or the build started, or was taken over): how a build left by a crash is told. */
  activeAt: string;
  /** Bumped each time a stale build is taken over, so the range jobs queued again are new jobs, not duplicates. */
  round: number;
}

export interface InventoryStatus {
  vendor: VendorId;
  /** The complete generation readers use; absent until a first full sync completes. */
  current?: InventoryGeneration;
  /** A full sync under way, if any. */
  building?: InventoryBuild;
}

/** Keys idle since a date, as the inventory holds them (the same split as a live scan's `StaleListing`). */
export interface IdleKeys {
  /** Used before the cutoff (or, for a vendor that does not track use, created before it), oldest first. */
  stale: Key[];
  neverUsed: Key[];
}

/**
 * A range job arrived for a generation that is no longer being built: published already (a redelivered job), or
 * abandoned for a newer build. Nothing is stored; the job has nothing left to do.
 */
export class InventoryBuildGoneError extends Error {
  override name = 'InventoryBuildGoneError';
}

export interface InventoryStore {
  status(vendor: VendorId): Promise<InventoryStatus>;
  /**
   * Starts building a generation with its planned ranges. False when another build is under way and was active
   * within `staleAfterMs` (a build left by a crash is taken over after that).
   */
  startBuild(
    vendor: VendorId,
    build: { generation: string; startedAt: string; cursor?: string; ranges: readonly SyncRange[] },
    staleAfterMs: number,
  ): Promise<boolean>;
  /** The building generation's ranges not stored yet. */
  pendingRanges(vendor: VendorId, generation: string): Promise<SyncRange[]>;
  /**
   * Takes over a build nobody has moved for `staleAfterMs` (its jobs were lost: a crash, a dead-lettered job). Returns
   * the build's new round, or undefined when the build is not that generation or is still active; exactly one of
   * two concurrent takers gets it.
   */
  takeOverBuild(
    vendor: VendorId,
    generation: string,
    staleAfterMs: number,
    at: string,
  ): Promise<number | undefined>;
  /**
   * Stores one range's keys and people in the building generation and marks the range done, adding `read.next` as a
   * new range. Storing a range twice stores it once. Returns how many ranges are left.
   */
  completeRange(
    vendor: VendorId,
    generation: string,
    range: SyncRange,
    read: RangeRead,
    confirmedAt: string,
  ): Promise<{ remaining: number }>;
  /**
   * Makes the building generation the current one, once every range is done; the previous generation's items are
   * removed afterwards. False when ranges are left or another generation was published first.
   */
  publish(vendor: VendorId, generation: string, at: string): Promise<boolean>;
  /**
   * Deletes the items of generations replaced (or builds abandoned) at least `graceMs` before `at`: a reader that read
   * the pointer just before a publish finishes on the generation it started with. Returns how many were removed.
   */
  removeOldGenerations(vendor: VendorId, at: string, graceMs: number): Promise<number>;
  /** Applies an incremental refresh to the current generation and moves its cursor (from `previousCursor`). */
  applyChanges(
    vendor: VendorId,
    changes: InventoryChanges,
    previousCursor: string | undefined,
    at: string,
  ): Promise<boolean>;
  /** Reads from the current generation. */
  idleKeys(vendor: VendorId, cutoff: Date, type?: string): Promise<IdleKeys>;
  keysOf(vendor: VendorId, ownerId: string): Promise<Key[]>;
  /** People whose email or id is `query`, or whose name or email starts with it (case-insensitive). */
  findPeople(vendor: VendorId, query: string, limit?: number): Promise<UserSummary[]>;
}

/**
 * A vendor's request budget, shared by every worker (Lambda runs several at once): how many ranges read the vendor at
 * once, and how many requests per second they make together. A 429 seen by any of them slows all of them.
 */
export interface InventoryBudget {
  /** Holds one of the vendor's `slots` range slots for `leaseMs` (released or lapsed); false when all are held. */
  acquireSlot(vendor: VendorId, holder: string, slots: number, leaseMs: number): Promise<boolean>;
  releaseSlot(vendor: VendorId, holder: string): Promise<void>;
  /** Reserves the vendor's next request at `perSecond` requests a second; resolves to how long to wait before it. */
  reserveRequest(vendor: VendorId, perSecond: number): Promise<number>;
  /** A 429: every worker's pace for this vendor is halved until `forMs` from now, after waiting out `retryAfterMs`. */
  slowDown(vendor: VendorId, forMs: number, retryAfterMs?: number): Promise<void>;
  /** When the vendor's pace is halved until (epoch ms), if it is. */
  slowedUntil(vendor: VendorId): Promise<number | undefined>;
}
