import type { Deadline, RequestMeter } from './deadline.js';
import type { DigestInput, VendorDigest } from './digest.js';
import type { Logger } from './logger.js';

/**
 * The common model every vendor maps into, and the provider interface the services work through. A "key" is any
 * vendor credential (an IDmelon security key, a TryMellon passkey, a Solvimon API key); a "user" is its owner.
 */
import type { VendorId } from './vendors.js';

export type { VendorId } from './vendors.js';

export interface KeyOwner {
  id?: string;
  email?: string;
  name?: string;
}

export interface Key {
  vendor: VendorId;
  id: string;
  name: string;
  /** Form factor or kind: phone, badge, desktop (IDmelon), passkey, api-key. */
  type: string;
  owner: KeyOwner;
  /**
   * Last authentication, ISO 8601; null when the key was never used; undefined when the vendor does not track use
   * (Solvimon API keys), in which case `createdAt` is what "stale" is measured by.
   */
  lastUsedAt: string | null | undefined;
  createdAt?: string;
  /** Lifetime authentications, when the vendor counts them. */
  uses: number | null;
  status: string;
  blocked?: boolean;
  offlineAccess?: boolean;
}

export interface UserSummary {
  vendor: VendorId;
  id: string;
  email?: string;
  name?: string;
  status?: string;
}

export interface Passkey {
  id: string;
  name: string;
  relyingParty?: string;
  createdAt?: string;
  lastUsedAt?: string | null;
}

export interface Group {
  id: string;
  name: string;
}

export interface UserEvent {
  at: string;
  event: string;
  success?: boolean;
}

export interface UserProfile {
  user: UserSummary & { createdAt?: string };
  keys: Key[];
  passkeys: Passkey[];
  groups: Group[];
  /** Recent activity, where the vendor can tell (TryMellon's audit events for this user). */
  events?: UserEvent[];
}

/** Progress of a long operation, for the CLI's stderr line and Slack's progress message. */
export interface Progress {
  phase: string;
  done: number;
  total?: number;
  requests: number;
}

/**
 * Where a read was answered from: the inventory (the bot's indexed copy, as of its last refresh) or the vendor now.
 * Shown beside every answer that could have come from either, so nobody takes an hour-old list for a live one.
 */
export interface ReadSource {
  from: 'inventory' | 'live';
  /** For an inventory read: when the inventory was last brought up to date (ISO 8601). */
  asOf?: string;
  /** Why the vendor was read although an inventory is kept: "the inventory is 3 h old, older than 1 h: read live". */
  fallback?: string;
}

export interface OperationContext {
  deadline: Deadline;
  meter: RequestMeter;
  onProgress?: (p: Progress) => void;
  /** Read from the vendor even where the inventory could answer (`--live`, "Read live"). */
  live?: boolean;
  /** Told where a lookup's matches were read from (a list of people carries no field to say it). */
  onRead?: (read: ReadSource) => void;
  /**
   * How a vendor's composite operation (its digest section) lists stale keys: through the inventory while it is
   * fresh. Without it, the vendor's own `listStale`.
   */
  listStale?: (query: StaleQuery) => Promise<StaleListing>;
}

export interface StaleQuery {
  /** Keys last used strictly before this instant are stale. */
  cutoff: Date;
  /** Only keys of this type. */
  type?: string;
  /**
   * Stop as soon as every one of these key ids has been seen: a caller confirming known keys (revocation) needs
   * only the stretch of the listing they are in, not all of it.
   */
  wanted?: ReadonlySet<string>;
}

export interface StaleListing {
  /** Used before the cutoff, oldest first. */
  stale: Key[];
  /** Never used at all. */
  neverUsed: Key[];
  /** `sorted`: the vendor sorted by last use and we stopped early; `full`: every key was read. */
  scan: 'sorted' | 'full';
  /** Why the scan is not the usual one (for example, the vendor's sort could not be trusted). */
  note?: string;
  /** What "stale" means for this vendor when it is not "unused since" (Solvimon keys carry no last-use time). */
  meaning?: string;
  /** Active keys in all, by type, when the vendor's listing says so (IDmelon's `statistics`). */
  inventory?: { total: number; byType: Record<string, number> };
  /** Where the listing was read from; absent from a vendor's own listing (which is live). */
  read?: ReadSource;
}

/** Enough to find a key again: IDmelon has no get-key endpoint, so the owner's id leads to it. */
export interface KeyRef {
  vendor: VendorId;
  id: string;
  ownerId?: string;
}

export interface RevokeResult {
  id: string;
  /** `failed` carries the reason; the caller stops and reports a partial outcome. */
  outcome: 'deleted' | 'already_gone' | 'failed';
  error?: string;
}

export interface Provider {
  readonly vendor: VendorId;
  /** Human label: "IDmelon". */
  readonly label: string;
  listStale(query: StaleQuery, ctx: OperationContext): Promise<StaleListing>;
  /** Users matching an email, an id, or part of a name. */
  findUsers(query: string, ctx: OperationContext): Promise<UserSummary[]>;
  userProfile(userId: string, ctx: OperationContext): Promise<UserProfile>;
  /**
   * Each key as it is right now, or null when it no longer exists. With `cutoff`, a vendor may confirm
   * still-stale keys in bulk before looking at the rest one owner at a time.
   */
  currentKeys(
    refs: readonly KeyRef[],
    hint: { cutoff?: Date },
    ctx: OperationContext,
  ): Promise<Map<string, Key | null>>;
  /**
   * Whether the vendor records when a key was last used. When it does not, "stale" means created long ago and still
   * active, and every request and message says so.
   */
  readonly tracksUse: boolean;
  /** The most keys one `revoke` call takes. */
  readonly revokeBatchSize: number;
  /** Revokes keys. A key that is already gone is reported so, not as an error; anything else throws. */
  revoke(keys: readonly KeyRef[], ctx: OperationContext): Promise<RevokeResult[]>;
  /** This vendor's section of the weekly digest; each part fails on its own. */
  digest(input: DigestInput, ctx: OperationContext, logger: Logger): Promise<VendorDigest>;
}
