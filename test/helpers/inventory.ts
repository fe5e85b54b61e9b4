import type { IdmelonWorkspace } from '../../sandbox/idmelon/workspace.js';
import type {
  IdleKeys,
  InventoryChanges,
  InventoryStatus,
  InventoryStore,
  RangeRead,
  SyncRange,
} from '../../src/domain/inventory.js';
import type { Key, UserSummary } from '../../src/domain/provider.js';
import type { VendorId } from '../../src/domain/vendors.js';

interface Generation {
  generation: string;
  startedAt: string;
  cursor?: string;
  ranges: Map<string, SyncRange>;
  done: Set<string>;
  keys: Map<string, Key>;
  people: Map<string, UserSummary>;
  lastActiveAt: string;
  round: number;
  syncedAt?: string;
  refreshedAt?: string;
}

interface VendorState {
  current?: Generation;
  building?: Generation;
}

/**
 * The inventory port in memory, with the contract the DynamoDB table keeps: a generation is invisible to readers
 * until it is published whole, a range stored twice is stored once, and changes apply to the current generation
 * only from the cursor it holds. Reads copy, so a caller cannot change what is stored.
 */
export class MemoryInventory implements InventoryStore {
  private readonly vendors = new Map<VendorId, VendorState>();
  /** Reads answered (status excluded), to tell an inventory-backed answer from a live one. */
  reads = 0;

  private state(vendor: VendorId): VendorState {
    let s = this.vendors.get(vendor);
    if (!s) {
      s = {};
      this.vendors.set(vendor, s);
    }
    return s;
  }

  async status(vendor: VendorId): Promise<InventoryStatus> {
    const s = this.state(vendor);
    const c = s.current;
    const b = s.building;
    return {
      vendor,
      ...(c
        ? {
            current: {
              generation: c.generation,
              syncedAt: c.syncedAt as string,
              refreshedAt: c.refreshedAt as string,
              ...(c.cursor ? { cursor: c.cursor } : {}),
              keys: c.keys.size,
              people: c.people.size,
            },
          }
        : {}),
      ...(b
        ? {
            building: {
              generation: b.generation,
              startedAt: b.startedAt,
              ...(b.cursor ? { cursor: b.cursor } : {}),
              ranges: b.ranges.size,
              done: b.done.size,
              activeAt: b.lastActiveAt,
              round: b.round,
            },
          }
        : {}),
    };
  }

  async startBuild(
    vendor: VendorId,
    build: { generation: string; startedAt: string; cursor?: string; ranges: readonly SyncRange[] },
    staleAfterMs: number,
  ): Promise<boolean> {
    const s = this.state(vendor);
    if (s.building && Date.parse(build.startedAt) - Date.parse(s.building.lastActiveAt) < staleAfterMs)
      return false;
    s.building = {
      generation: build.generation,
      startedAt: build.startedAt,
      cursor: build.cursor,
      ranges: new Map(build.ranges.map((r) => [r.id, r])),
      done: new Set(),
      keys: new Map(),
      people: new Map(),
      lastActiveAt: build.startedAt,
      round: 0,
    };
    return true;
  }

  async takeOverBuild(
    vendor: VendorId,
    generation: string,
    staleAfterMs: number,
    at: string,
  ): Promise<number | undefined> {
    const b = this.state(vendor).building;
    if (b?.generation !== generation || Date.parse(at) - Date.parse(b.lastActiveAt) < staleAfterMs)
      return undefined;
    b.round++;
    b.lastActiveAt = at;
    return b.round;
  }

  /** Replaced generations are dropped at publish here: nothing is left to remove. */
  async removeOldGenerations(_vendor: VendorId, _at: string, _graceMs: number): Promise<number> {
    return 0;
  }

  async pendingRanges(vendor: VendorId, generation: string): Promise<SyncRange[]> {
    const b = this.state(vendor).building;
    if (b?.generation !== generation) return [];
    return [...b.ranges.values()].filter((r) => !b.done.has(r.id));
  }

  async completeRange(
    vendor: VendorId,
    generation: string,
    range: SyncRange,
    read: RangeRead,
    confirmedAt: string,
  ): Promise<{ remaining: number }> {
    const b = this.state(vendor).building;
    if (b?.generation !== generation) return { remaining: 0 };
    if (!b.done.has(range.id)) {
      for (const k of read.keys) b.keys.set(k.id, structuredClone(k));
      for (const p of read.people) b.people.set(p.id, structuredClone(p));
      b.done.add(range.id);
      if (read.next && !b.ranges.has(read.next.id)) b.ranges.set(read.next.id, read.next);
    }
    b.lastActiveAt = confirmedAt;
    return { remaining: b.ranges.size - b.done.size };
  }

  async publish(vendor: VendorId, generation: string, at: string): Promise<boolean> {
    const s = this.state(vendor);
    const b = s.building;
    if (b?.generation !== generation || b.done.size < b.ranges.size) return false;
    s.current = { ...b, syncedAt: b.startedAt, refreshedAt: at };
    s.building = undefined;
    return true;
  }

  async applyChanges(
    vendor: VendorId,
    changes: InventoryChanges,
    previousCursor: string | undefined,
    at: string,
  ): Promise<boolean> {
    const c = this.state(vendor).current;
    if (!c || c.cursor !== previousCursor) return false;
    const reread = new Set(changes.ownersReread ?? []);
    for (const [id, k] of c.keys) if (k.owner.id && reread.has(k.owner.id)) c.keys.delete(id);
    if (changes.complete) {
      c.keys.clear();
      c.people.clear();
    }
    for (const k of changes.keys) c.keys.set(k.id, structuredClone(k));
    for (const id of changes.removedKeys) c.keys.delete(id);
    for (const p of changes.people) c.people.set(p.id, structuredClone(p));
    for (const id of changes.removedPeople) c.people.delete(id);
    c.cursor = changes.cursor;
    c.refreshedAt = at;
    return true;
  }

  private currentKeys(vendor: VendorId): Key[] {
    return [...(this.state(vendor).current?.keys.values() ?? [])].map((k) => structuredClone(k));
  }

  async idleKeys(vendor: VendorId, cutoff: Date, type?: string): Promise<IdleKeys> {
    this.reads++;
    const keys = this.currentKeys(vendor).filter((k) => !type || k.type === type);
    const measure = (k: Key) => (k.lastUsedAt === undefined ? k.createdAt : k.lastUsedAt);
    const stale = keys
      .filter((k) => {
        const at = measure(k);
        return typeof at === 'string' && Date.parse(at) < cutoff.getTime();
      })
      .sort((a, b) => Date.parse(measure(a) as string) - Date.parse(measure(b) as string));
    const neverUsed = keys.filter((k) => k.lastUsedAt === null);
    return { stale, neverUsed };
  }

  async keysOf(vendor: VendorId, ownerId: string): Promise<Key[]> {
    this.reads++;
    return this.currentKeys(vendor).filter((k) => k.owner.id === ownerId);
  }

  async findPeople(vendor: VendorId, query: string, limit = 50): Promise<UserSummary[]> {
    this.reads++;
    const q = query.trim().toLowerCase();
    const people = [...(this.state(vendor).current?.people.values() ?? [])];
    return people
      .filter((p) => {
        const email = p.email?.toLowerCase() ?? '';
        const name = p.name?.toLowerCase() ?? '';
        return email === q || p.id.toLowerCase() === q || name.startsWith(q) || email.startsWith(q);
      })
      .slice(0, limit)
      .map((p) => structuredClone(p));
  }

  /** Builds and publishes a generation through the port, as a full sync would: one range holding everything. */
  async publishSnapshot(
    vendor: VendorId,
    data: { keys: Key[]; people: UserSummary[] },
    at: string,
    generation = `g-${at}`,
  ): Promise<void> {
    const range: SyncRange = { id: 'all', kind: 'all' };
    if (!(await this.startBuild(vendor, { generation, startedAt: at, ranges: [range] }, 0)))
      throw new Error('another build is under way');
    await this.completeRange(vendor, generation, range, { ...data }, at);
    if (!(await this.publish(vendor, generation, at))) throw new Error('the generation was not published');
  }
}

/**
 * What a full sync of the IDmelon sandbox would store, computed from the sandbox's own data: its active keys (the
 * ones a stale listing is about) with their owners, and its people.
 */
export function idmelonInventory(workspace: IdmelonWorkspace): { keys: Key[]; people: UserSummary[] } {
  const users = new Map(workspace.users.map((u) => [u._id, u]));
  const keys: Key[] = workspace.keys
    .filter((k) => k.status === 20)
    .map((k) => ({
      vendor: 'idmelon',
      id: k._id,
      name: k.name,
      type: k.type,
      owner: { id: k.ownerId, email: users.get(k.ownerId)?.email, name: users.get(k.ownerId)?.name },
      lastUsedAt: k.lastActivityAt,
      uses: k.totalActivities,
      status: 'active',
      blocked: k.isBlocked,
      offlineAccess: k.hasOfflineAccess,
    }));
  const people: UserSummary[] = workspace.users.map((u) => ({
    vendor: 'idmelon',
    id: u._id,
    email: u.email,
    name: u.name,
    status: u.status,
  }));
  return { keys, people };
}
