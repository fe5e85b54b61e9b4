import { createHash } from 'node:crypto';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type IdleKeys,
  type InventoryBudget,
  type InventoryBuild,
  InventoryBuildGoneError,
  type InventoryChanges,
  type InventoryGeneration,
  type InventoryStatus,
  type InventoryStore,
  type RangeRead,
  type SyncRange,
} from '../domain/inventory.js';
import type { Key, UserSummary, VendorId } from '../domain/provider.js';
import { mapLimit } from '../util/concurrency.js';
import { conditionFailed } from './table.js';

/**
 * The inventory on the bot's table (see domain/inventory.ts for what it is). Each vendor has generations: a full
 * sync writes a new one beside the current one, and a pointer item names the generation readers use. Every item of
 * a generation has the generation in its partition key, so a build never touches what readers read, and publishing
 * is one conditional write of the pointer.
 *
 * | item                         | pk                              | sk                             |
 * |------------------------------|---------------------------------|--------------------------------|
 * | the pointer (current gen)    | `INV#<vendor>`                  | `CURRENT`                      |
 * | the build under way          | `INV#<vendor>`                  | `BUILD` (its plan of ranges)   |
 * | a generation to delete       | `INV#<vendor>`                  | `OLD#<gen>`                    |
 * | a key, by idle time          | `INVK#<vendor>#<gen>#<shard>`   | `<last use, or 0>#<key id>`    |
 * | a key, by owner              | `INVO#<vendor>#<gen>#<owner id>`| `<key id>`                     |
 * | where a key is indexed       | `INVI#<vendor>#<gen>#<key id>`  | `K`                            |
 * | a person                     | `INVP#<vendor>#<gen>`           | `i#<id>`, `e#<email>#<id>`, `n#<name>#<id>` |
 * | a range stored (or to read)  | `INVB#<vendor>#<gen>`           | `R#<range id>`                 |
 * | the vendor's request pace    | `INVBUDGET#<vendor>`            | `RATE`                         |
 * | a range slot of the vendor   | `INVBUDGET#<vendor>`            | `SLOT#<n>`                     |
 *
 * Idle keys: the key's last use (ISO 8601, so the sort key orders by time), `0` for never used; for a vendor that
 * does not track use (Solvimon: `lastUsedAt` undefined) its creation time, since that is what "idle" means there.
 * "Idle since a date" is then `sk < cutoff` on each of `SHARDS` partitions, queried in parallel; the shards spread a
 * sync's writes so no one partition takes them all. Emails and names are lower-cased in sort keys, so prefixes match
 * whatever the case. Every key and person item records `confirmedAt`: when a sync or refresh last saw it so.
 *
 * A build's plan lives on its BUILD item; each stored range gets its own item (and a range discovered page by page
 * is written as a pending item before the range that found it is marked done), so concurrent range jobs never
 * update one item conditionally, and what is left is read back with a consistent query. A range stored twice writes
 * the same items twice.
 *
 * Replaced generations are deleted in batches, after a grace period (`removeOldGenerations`), rather than given a
 * TTL: a TTL would have to be written on every item anyway, could not be trusted to expire items in order (DynamoDB
 * deletes within days, not at the second), and the current generation's items must never carry one. No item of the
 * inventory expires.
 */
export const SHARDS = 8;
/** The most ranges one build may plan: the BUILD item holds them all and must stay far below 400 KB. */
export const MAX_PLANNED_RANGES = 2000;
/** BatchWriteItem's limit. */
const BATCH = 25;
/** BatchGetItem's limit. */
const BATCH_GET = 100;
/** Batches in flight at once while storing a range or deleting a generation. */
const WRITES_IN_FLIGHT = 8;

const vendorPk = (v: VendorId) => `INV#${v}`;
const idlePk = (v: VendorId, g: string, shard: number) => `INVK#${v}#${g}#${shard}`;
const ownerPk = (v: VendorId, g: string, owner: string) => `INVO#${v}#${g}#${owner}`;
const byIdPk = (v: VendorId, g: string, id: string) => `INVI#${v}#${g}#${id}`;
const peoplePk = (v: VendorId, g: string) => `INVP#${v}#${g}`;
const rangesPk = (v: VendorId, g: string) => `INVB#${v}#${g}`;
const budgetPk = (v: VendorId) => `INVBUDGET#${v}`;

export function shardOf(keyId: string): number {
  return createHash('sha1').update(keyId).digest().readUInt32BE(0) % SHARDS;
}

/** What "idle since" is measured by, as the idle index orders it (see the table above). */
export function idleTime(key: Key): string {
  if (key.lastUsedAt) return key.lastUsedAt;
  if (key.lastUsedAt === undefined && key.createdAt) return key.createdAt;
  return '0';
}

const idleSk = (key: Key) => `${idleTime(key)}#${key.id}`;
const lower = (s: string) => s.trim().toLowerCase();

type Item = Record<string, unknown>;
type Write = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: { pk: string; sk: string } } };
const put = (item: Item): Write => ({ PutRequest: { Item: item } });
const del = (pk: string, sk: string): Write => ({ DeleteRequest: { Key: { pk, sk } } });
const writeKey = (w: Write) =>
  'PutRequest' in w
    ? `${w.PutRequest.Item.pk}\u0000${w.PutRequest.Item.sk}`
    : `${w.DeleteRequest.Key.pk}\u0000${w.DeleteRequest.Key.sk}`;

/** Where a key is indexed in a generation: the pointer behind `INVI#…`. */
interface KeyPointer {
  shard: number;
  idleSk: string;
  ownerId?: string;
}

interface BuildItem {
  generation: string;
  startedAt: string;
  cursor?: string;
  plan: SyncRange[];
  activeAt: string;
  round: number;
}

interface RangeItem {
  range: SyncRange;
  done: boolean;
  doneAt?: string;
}

export interface InventoryTableOptions {
  table: string;
}

export class InventoryTable implements InventoryStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly options: InventoryTableOptions,
  ) {}

  private get table() {
    return this.options.table;
  }

  // ---- the pointer and the build ----

  private async get(pk: string, sk: string): Promise<Item | undefined> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk, sk }, ConsistentRead: true }),
    );
    return res.Item;
  }

  private async current(vendor: VendorId): Promise<InventoryGeneration | undefined> {
    const item = await this.get(vendorPk(vendor), 'CURRENT');
    if (!item) return undefined;
    return {
      generation: String(item.generation),
      syncedAt: String(item.syncedAt),
      refreshedAt: String(item.refreshedAt),
      cursor: item.cursor as string | undefined,
      keys: Number(item.keys ?? 0),
      people: Number(item.people ?? 0),
    };
  }

  private async build(vendor: VendorId): Promise<BuildItem | undefined> {
    const item = await this.get(vendorPk(vendor), 'BUILD');
    if (!item) return undefined;
    return {
      generation: String(item.generation),
      startedAt: String(item.startedAt),
      cursor: item.cursor as string | undefined,
      plan: (item.plan as SyncRange[] | undefined) ?? [],
      activeAt: String(item.activeAt ?? item.startedAt),
      round: Number(item.round ?? 0),
    };
  }

  private async rangeItems(vendor: VendorId, generation: string): Promise<RangeItem[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': rangesPk(vendor, generation) },
      ConsistentRead: true,
    });
    return items.map((i) => ({
      range: i.range as SyncRange,
      done: Boolean(i.done),
      doneAt: i.doneAt as string | undefined,
    }));
  }

  /** The plan and every range discovered since, each once, with whether it is stored. */
  private async progress(vendor: VendorId, build: BuildItem) {
    const all = new Map<string, { range: SyncRange; done: boolean }>();
    for (const range of build.plan) all.set(range.id, { range, done: false });
    for (const r of await this.rangeItems(vendor, build.generation)) all.set(r.range.id, r);
    const ranges = [...all.values()];
    return { ranges, pending: ranges.filter((r) => !r.done).map((r) => r.range) };
  }

  async status(vendor: VendorId): Promise<InventoryStatus> {
    const [current, build] = await Promise.all([this.current(vendor), this.build(vendor)]);
    const status: InventoryStatus = { vendor, current };
    // A BUILD item naming the current generation was left by a publish that stopped before removing it.
    if (build && build.generation !== current?.generation) {
      const { ranges, pending } = await this.progress(vendor, build);
      status.building = {
        generation: build.generation,
        startedAt: build.startedAt,
        cursor: build.cursor,
        ranges: ranges.length,
        done: ranges.length - pending.length,
        activeAt: build.activeAt,
        round: build.round,
      } satisfies InventoryBuild;
    }
    return status;
  }

  async startBuild(
    vendor: VendorId,
    build: { generation: string; startedAt: string; cursor?: string; ranges: readonly SyncRange[] },
    staleAfterMs: number,
  ): Promise<boolean> {
    if (build.ranges.length === 0) throw new Error('a build needs at least one range');
    if (build.ranges.length > MAX_PLANNED_RANGES)
      throw new Error(
        `a build may plan at most ${MAX_PLANNED_RANGES} ranges (${build.ranges.length} planned)`,
      );
    const [existing, current] = await Promise.all([this.build(vendor), this.current(vendor)]);
    const now = Date.parse(build.startedAt);
    if (existing && existing.generation !== current?.generation) {
      if (Date.parse(existing.activeAt) > now - staleAfterMs) return false;
      // Abandoned: nothing will publish it, so its items go with the replaced generations.
      await this.markOld(vendor, existing.generation, build.startedAt);
    }
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: vendorPk(vendor),
            sk: 'BUILD',
            generation: build.generation,
            startedAt: build.startedAt,
            cursor: build.cursor,
            plan: build.ranges,
            activeAt: build.startedAt,
            round: 0,
            // Ranges known and ranges stored, counted by `completeRange`.
            ranges: build.ranges.length,
            done: 0,
          },
          // Whoever read the same BUILD item and wrote first wins; the other one does not start a second build.
          ConditionExpression: existing ? 'generation = :seen' : 'attribute_not_exists(pk)',
          ...(existing ? { ExpressionAttributeValues: { ':seen': existing.generation } } : {}),
        }),
      );
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }

  async takeOverBuild(
    vendor: VendorId,
    generation: string,
    staleAfterMs: number,
    at: string,
  ): Promise<number | undefined> {
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: vendorPk(vendor), sk: 'BUILD' },
          UpdateExpression: 'SET activeAt = :at, round = round + :one',
          ConditionExpression: 'generation = :g AND activeAt < :staleBefore',
          ExpressionAttributeValues: {
            ':at': at,
            ':one': 1,
            ':g': generation,
            ':staleBefore': new Date(Date.parse(at) - staleAfterMs).toISOString(),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Number(res.Attributes?.round ?? 0);
    } catch (err) {
      if (conditionFailed(err)) return undefined;
      throw err;
    }
  }

  async pendingRanges(vendor: VendorId, generation: string): Promise<SyncRange[]> {
    const build = await this.build(vendor);
    if (build?.generation !== generation) return [];
    return (await this.progress(vendor, build)).pending;
  }

  async completeRange(
    vendor: VendorId,
    generation: string,
    range: SyncRange,
    read: RangeRead,
    confirmedAt: string,
  ): Promise<{ remaining: number }> {
    const build = await this.build(vendor);
    if (build?.generation !== generation)
      throw new InventoryBuildGoneError(`${vendor}: generation ${generation} is no longer being built`);
    const writes: Write[] = [];
    for (const key of read.keys) writes.push(...keyItems(vendor, generation, key, confirmedAt));
    for (const person of read.people) writes.push(...personItems(vendor, generation, person, confirmedAt));
    await this.batchWrite(writes);
    const pk = rangesPk(vendor, generation);
    if (read.next) {
      // Written before this range is marked done, so the build never looks finished while a page is still to come.
      const added = await this.db
        .send(
          new PutCommand({
            TableName: this.table,
            Item: { pk, sk: `R#${read.next.id}`, range: read.next, done: false },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        )
        .then(() => true)
        .catch((err: unknown) => {
          // Already recorded by an earlier run of this range (and perhaps already stored): leave it as it is.
          if (!conditionFailed(err)) throw err;
          return false;
        });
      if (added) await this.countOnBuild(vendor, generation, 'ranges', confirmedAt);
    }
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk,
          sk: `R#${range.id}`,
          range,
          done: true,
          doneAt: confirmedAt,
          keys: read.keys.length,
          people: read.people.length,
        },
      }),
    );
    // Counted after its own mark, so whoever counts the last range finds every other mark written, and checks
    // exactly. A range stored twice is counted twice: the count can run ahead of the truth, never behind it (short
    // of a job that stopped between the two writes and never ran again, which the next sync's takeover publishes),
    // and it only decides when the ranges are read to know for sure.
    const counts = await this.countOnBuild(vendor, generation, 'done', confirmedAt);
    const total = Number(counts?.ranges);
    const done = Number(counts?.done);
    if (Number.isFinite(total) && Number.isFinite(done) && done < total) return { remaining: total - done };
    const { pending } = await this.progress(vendor, build);
    return { remaining: pending.length };
  }

  /** Adds one to a counter of the build (and moves its activity time); the build after, or undefined when gone. */
  private async countOnBuild(
    vendor: VendorId,
    generation: string,
    counter: 'ranges' | 'done',
    at: string,
  ): Promise<Item | undefined> {
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: vendorPk(vendor), sk: 'BUILD' },
          UpdateExpression: 'SET activeAt = :at ADD #counter :one',
          ConditionExpression: 'generation = :g',
          ExpressionAttributeNames: { '#counter': counter },
          ExpressionAttributeValues: { ':at': at, ':g': generation, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return res.Attributes;
    } catch (err) {
      if (!conditionFailed(err)) throw err;
      return undefined;
    }
  }

  async publish(vendor: VendorId, generation: string, at: string): Promise<boolean> {
    const build = await this.build(vendor);
    if (build?.generation !== generation) return false;
    if ((await this.progress(vendor, build)).pending.length > 0) return false;
    const previous = await this.current(vendor);
    if (previous?.generation === generation) {
      await this.dropBuild(vendor, generation);
      return false;
    }
    const keys = await this.settleDuplicates(vendor, generation);
    const people = await this.count(peoplePk(vendor, generation), 'i#');
    // Marked before the pointer moves: a generation marked but still current is skipped by the clean-up.
    if (previous) await this.markOld(vendor, previous.generation, at);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: vendorPk(vendor),
            sk: 'CURRENT',
            generation,
            syncedAt: build.startedAt,
            refreshedAt: at,
            cursor: build.cursor,
            keys,
            people,
            publishedAt: at,
          },
          ConditionExpression: previous ? 'generation = :previous' : 'attribute_not_exists(pk)',
          ...(previous ? { ExpressionAttributeValues: { ':previous': previous.generation } } : {}),
        }),
      );
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
    await this.dropBuild(vendor, generation);
    return true;
  }

  private async dropBuild(vendor: VendorId, generation: string): Promise<void> {
    await this.db
      .send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: vendorPk(vendor), sk: 'BUILD' },
          ConditionExpression: 'generation = :g',
          ExpressionAttributeValues: { ':g': generation },
        }),
      )
      .catch((err: unknown) => {
        if (!conditionFailed(err)) throw err;
      });
  }

  private async markOld(vendor: VendorId, generation: string, at: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: vendorPk(vendor), sk: `OLD#${generation}`, generation, at },
      }),
    );
  }

  /**
   * A key read in two ranges (a listing cut by `skip` shifts when keys are added during a sync) may have been indexed
   * twice with different last uses. Last use only moves forward, so the latest entry is the key's; the others are
   * removed and the key's pointer set to it. Returns how many distinct keys the generation holds.
   */
  private async settleDuplicates(vendor: VendorId, generation: string): Promise<number> {
    const entries = await this.idleEntries(vendor, generation, undefined, 'sk, keyId, ownerId');
    const latest = new Map<string, { shard: number; sk: string; ownerId?: string }>();
    const writes: Write[] = [];
    for (const e of entries) {
      const seen = latest.get(e.keyId);
      if (!seen) {
        latest.set(e.keyId, e);
        continue;
      }
      const [older, newer] = seen.sk < e.sk ? [seen, e] : [e, seen];
      latest.set(e.keyId, newer);
      writes.push(del(idlePk(vendor, generation, older.shard), older.sk));
      if (older.ownerId && older.ownerId !== newer.ownerId)
        writes.push(del(ownerPk(vendor, generation, older.ownerId), e.keyId));
      writes.push(
        put({
          pk: byIdPk(vendor, generation, e.keyId),
          sk: 'K',
          shard: newer.shard,
          idleSk: newer.sk,
          ownerId: newer.ownerId,
        }),
      );
    }
    await this.batchWrite(writes);
    return latest.size;
  }

  /** Every idle-index entry of a generation (optionally before a cutoff), all shards queried in parallel. */
  private async idleEntries(
    vendor: VendorId,
    generation: string,
    before: string | undefined,
    projection?: string,
    type?: string,
  ): Promise<Array<{ shard: number; sk: string; keyId: string; ownerId?: string; item: Item }>> {
    const shards = Array.from({ length: SHARDS }, (_, i) => i);
    const perShard = await Promise.all(
      shards.map(async (shard) => {
        const items = await this.queryAll({
          TableName: this.table,
          KeyConditionExpression: before ? 'pk = :pk AND sk < :before' : 'pk = :pk',
          ExpressionAttributeValues: {
            ':pk': idlePk(vendor, generation, shard),
            ...(before ? { ':before': before } : {}),
            ...(type ? { ':type': type } : {}),
          },
          ...(type
            ? { FilterExpression: '#type = :type', ExpressionAttributeNames: { '#type': 'type' } }
            : {}),
          ...(projection ? { ProjectionExpression: projection } : {}),
          ConsistentRead: true,
        });
        return items.map((item) => ({
          shard,
          sk: String(item.sk),
          keyId: String(item.keyId),
          ownerId: item.ownerId as string | undefined,
          item,
        }));
      }),
    );
    return perShard.flat();
  }

  private async count(pk: string, prefix: string): Promise<number> {
    let total = 0;
    let start: Item | undefined;
    do {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
          ExpressionAttributeValues: { ':pk': pk, ':p': prefix },
          Select: 'COUNT',
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      total += res.Count ?? 0;
      start = res.LastEvaluatedKey;
    } while (start);
    return total;
  }

  async removeOldGenerations(vendor: VendorId, at: string, graceMs: number): Promise<number> {
    const olds = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :old)',
      ExpressionAttributeValues: { ':pk': vendorPk(vendor), ':old': 'OLD#' },
      ConsistentRead: true,
    });
    const due = olds.filter((o) => Date.parse(String(o.at)) <= Date.parse(at) - graceMs);
    if (due.length === 0) return 0;
    const [current, build] = await Promise.all([this.current(vendor), this.build(vendor)]);
    let removed = 0;
    for (const old of due) {
      const generation = String(old.generation);
      // Still in use: marked by a publish or takeover that stopped half-way. Kept for when it is replaced.
      if (generation === current?.generation || generation === build?.generation) continue;
      await this.deleteGeneration(vendor, generation);
      await this.db.send(
        new DeleteCommand({ TableName: this.table, Key: { pk: vendorPk(vendor), sk: `OLD#${generation}` } }),
      );
      removed++;
    }
    return removed;
  }

  private async deleteGeneration(vendor: VendorId, generation: string): Promise<void> {
    const writes: Write[] = [];
    for (const e of await this.idleEntries(vendor, generation, undefined, 'pk, sk, keyId, ownerId')) {
      writes.push(del(idlePk(vendor, generation, e.shard), e.sk));
      writes.push(del(byIdPk(vendor, generation, e.keyId), 'K'));
      if (e.ownerId) writes.push(del(ownerPk(vendor, generation, e.ownerId), e.keyId));
    }
    for (const pk of [peoplePk(vendor, generation), rangesPk(vendor, generation)]) {
      const items = await this.queryAll({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ProjectionExpression: 'pk, sk',
      });
      for (const i of items) writes.push(del(String(i.pk), String(i.sk)));
    }
    await this.batchWrite(writes);
  }

  // ---- incremental refresh ----

  /** Every key id the generation holds, from its idle index (the part of each sort key after the first `#`). */
  private async heldKeyIds(vendor: VendorId, g: string): Promise<string[]> {
    const shards = await Promise.all(
      Array.from({ length: SHARDS }, (_, shard) =>
        this.queryAll({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': idlePk(vendor, g, shard) },
          ProjectionExpression: 'sk',
          ConsistentRead: true,
        }),
      ),
    );
    return shards.flat().map((i) => String(i.sk).slice(String(i.sk).indexOf('#') + 1));
  }

  private async heldPeopleIds(vendor: VendorId, g: string): Promise<string[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :i)',
      ExpressionAttributeValues: { ':pk': peoplePk(vendor, g), ':i': 'i#' },
      ProjectionExpression: 'sk',
      ConsistentRead: true,
    });
    return items.map((i) => String(i.sk).slice(2));
  }

  async applyChanges(
    vendor: VendorId,
    changes: InventoryChanges,
    previousCursor: string | undefined,
    at: string,
  ): Promise<boolean> {
    const current = await this.current(vendor);
    if (!current || current.cursor !== previousCursor) return false;
    const g = current.generation;
    const removed = new Set(changes.removedKeys);
    const changedIds = new Set(changes.keys.map((k) => k.id));
    for (const k of changes.keys) removed.delete(k.id);
    // A person whose keys were read again whole: any key held for them that the read did not return is gone.
    for (const owner of changes.ownersReread ?? []) {
      const held = await this.queryAll({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': ownerPk(vendor, g, owner) },
        ProjectionExpression: 'sk',
        ConsistentRead: true,
      });
      for (const h of held) if (!changedIds.has(String(h.sk))) removed.add(String(h.sk));
    }
    // The vendor's whole listing (a vendor without a change feed): whatever it did not list is gone.
    const unlisted: string[] = [];
    if (changes.complete) {
      for (const id of await this.heldKeyIds(vendor, g)) if (!changedIds.has(id)) removed.add(id);
      const listed = new Set(changes.people.map((p) => p.id));
      for (const id of await this.heldPeopleIds(vendor, g)) if (!listed.has(id)) unlisted.push(id);
    }
    const pointers = await this.pointers(vendor, g, [...changedIds, ...removed]);
    const deletes: Write[] = [];
    const puts: Write[] = [];
    let keyDelta = 0;
    for (const key of changes.keys) {
      const was = pointers.get(key.id);
      const shard = shardOf(key.id);
      if (!was) keyDelta++;
      else {
        if (was.idleSk !== idleSk(key) || was.shard !== shard)
          deletes.push(del(idlePk(vendor, g, was.shard), was.idleSk));
        if (was.ownerId && was.ownerId !== key.owner.id)
          deletes.push(del(ownerPk(vendor, g, was.ownerId), key.id));
      }
      puts.push(...keyItems(vendor, g, key, at));
    }
    for (const id of removed) {
      const was = pointers.get(id);
      if (!was) continue;
      keyDelta--;
      deletes.push(del(idlePk(vendor, g, was.shard), was.idleSk), del(byIdPk(vendor, g, id), 'K'));
      if (was.ownerId) deletes.push(del(ownerPk(vendor, g, was.ownerId), id));
    }
    const removedPeople = new Set([...changes.removedPeople, ...unlisted]);
    for (const p of changes.people) removedPeople.delete(p.id);
    const known = await this.people(vendor, g, [...changes.people.map((p) => p.id), ...removedPeople]);
    let peopleDelta = 0;
    for (const person of changes.people) {
      const was = known.get(person.id);
      if (!was) peopleDelta++;
      else
        for (const w of personItems(vendor, g, was, at))
          if (!isRewritten(w, person, vendor, g)) deletes.push(asDelete(w));
      puts.push(...personItems(vendor, g, person, at));
    }
    for (const id of removedPeople) {
      const was = known.get(id);
      if (!was) continue;
      peopleDelta--;
      deletes.push(...personItems(vendor, g, was, at).map(asDelete));
    }
    // Deletes first: a put and a delete of the same item never share a batch, and a moved entry is never lost.
    await this.batchWrite(deletes);
    await this.batchWrite(puts);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: vendorPk(vendor), sk: 'CURRENT' },
          UpdateExpression: 'SET #cursor = :cursor, refreshedAt = :at ADD #keys :dk, people :dp',
          ConditionExpression:
            previousCursor === undefined
              ? 'generation = :g AND attribute_not_exists(#cursor)'
              : 'generation = :g AND #cursor = :previous',
          ExpressionAttributeNames: { '#cursor': 'cursor', '#keys': 'keys' },
          ExpressionAttributeValues: {
            ':cursor': changes.cursor,
            ':at': at,
            ':dk': keyDelta,
            ':dp': peopleDelta,
            ':g': g,
            ...(previousCursor === undefined ? {} : { ':previous': previousCursor }),
          },
        }),
      );
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }

  private async batchGet(keys: Array<{ pk: string; sk: string }>): Promise<Item[]> {
    const out: Item[] = [];
    const unique = [...new Map(keys.map((k) => [`${k.pk}\u0000${k.sk}`, k])).values()];
    for (let i = 0; i < unique.length; i += BATCH_GET) {
      let pending: Array<{ pk: string; sk: string }> = unique.slice(i, i + BATCH_GET);
      for (let round = 0; pending.length > 0; round++) {
        if (round > 8) throw new Error('could not read the inventory: DynamoDB kept throttling');
        const res = await this.db.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }),
        );
        out.push(...(res.Responses?.[this.table] ?? []));
        pending = (res.UnprocessedKeys?.[this.table]?.Keys ?? []) as typeof pending;
        if (pending.length) await backoff(round);
      }
    }
    return out;
  }

  private async pointers(vendor: VendorId, g: string, ids: string[]): Promise<Map<string, KeyPointer>> {
    const items = await this.batchGet(ids.map((id) => ({ pk: byIdPk(vendor, g, id), sk: 'K' })));
    const prefix = byIdPk(vendor, g, '');
    return new Map(
      items.map((i) => [
        String(i.pk).slice(prefix.length),
        { shard: Number(i.shard), idleSk: String(i.idleSk), ownerId: i.ownerId as string | undefined },
      ]),
    );
  }

  private async people(vendor: VendorId, g: string, ids: string[]): Promise<Map<string, UserSummary>> {
    const items = await this.batchGet(ids.map((id) => ({ pk: peoplePk(vendor, g), sk: `i#${id}` })));
    return new Map(items.map((i) => [String(i.sk).slice(2), i.person as UserSummary]));
  }

  // ---- reads (the current generation) ----

  async idleKeys(vendor: VendorId, cutoff: Date, type?: string): Promise<IdleKeys> {
    const current = await this.current(vendor);
    if (!current) return { stale: [], neverUsed: [] };
    const entries = await this.idleEntries(vendor, current.generation, cutoff.toISOString(), undefined, type);
    entries.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
    const stale: Key[] = [];
    const neverUsed: Key[] = [];
    for (const e of entries) {
      const key = keyOf(e.item);
      if (key.lastUsedAt === null) neverUsed.push(key);
      else stale.push(key);
    }
    return { stale, neverUsed };
  }

  async keysOf(vendor: VendorId, ownerId: string): Promise<Key[]> {
    const current = await this.current(vendor);
    if (!current) return [];
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': ownerPk(vendor, current.generation, ownerId) },
      ConsistentRead: true,
    });
    return items.map(keyOf);
  }

  async findPeople(vendor: VendorId, query: string, limit = 20): Promise<UserSummary[]> {
    const current = await this.current(vendor);
    const q = lower(query);
    if (!current || !q) return [];
    const pk = peoplePk(vendor, current.generation);
    const prefixed = (prefix: string) =>
      this.db
        .send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
            ExpressionAttributeValues: { ':pk': pk, ':p': prefix },
            Limit: limit,
            ConsistentRead: true,
          }),
        )
        .then((r) => r.Items ?? []);
    const [byId, byEmail, byName] = await Promise.all([
      this.get(pk, `i#${query.trim()}`),
      prefixed(`e#${q}`),
      prefixed(`n#${q}`),
    ]);
    const found = new Map<string, UserSummary>();
    // An exact id or email first, then prefixes of emails and names.
    const exactEmail = byEmail.filter((i) => lower(String((i.person as UserSummary).email ?? '')) === q);
    for (const i of [...(byId ? [byId] : []), ...exactEmail, ...byEmail, ...byName]) {
      const p = i.person as UserSummary;
      if (!found.has(p.id)) found.set(p.id, p);
    }
    return [...found.values()].slice(0, limit);
  }

  // ---- plumbing ----

  private async queryAll(input: QueryCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const res = await this.db.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      items.push(...((res.Items ?? []) as Item[]));
      start = res.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** BatchWriteItem, 25 at a time, several batches in flight, unprocessed items sent again with backoff. */
  private async batchWrite(writes: readonly Write[]): Promise<void> {
    // One batch may not name an item twice; the last write of an item is the one meant.
    const unique = [...new Map(writes.map((w) => [writeKey(w), w])).values()];
    const chunks: Write[][] = [];
    for (let i = 0; i < unique.length; i += BATCH) chunks.push(unique.slice(i, i + BATCH));
    await mapLimit(chunks, WRITES_IN_FLIGHT, async (chunk) => {
      let items = chunk;
      for (let round = 0; items.length > 0; round++) {
        if (round > 8) throw new Error('could not write the inventory: DynamoDB kept throttling');
        const res = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: items } }));
        items = (res.UnprocessedItems?.[this.table] ?? []) as Write[];
        if (items.length) await backoff(round);
      }
    });
  }
}

const backoff = (round: number) => new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** round)));

/**
 * A key is stored as one JSON string rather than a nested map: a stale list reads thousands of them, and one string
 * attribute is far cheaper for DynamoDB and the SDK to carry and convert than a map of a dozen attributes.
 */
const keyJson = (key: Key) => JSON.stringify(key);
function keyOf(item: Item): Key {
  return typeof item.k === 'string' ? (JSON.parse(item.k) as Key) : (item.key as Key);
}

function keyItems(vendor: VendorId, g: string, key: Key, confirmedAt: string): Write[] {
  const shard = shardOf(key.id);
  const sk = idleSk(key);
  const ownerId = key.owner.id || undefined;
  const out: Write[] = [
    put({
      pk: idlePk(vendor, g, shard),
      sk,
      keyId: key.id,
      ownerId,
      type: key.type,
      k: keyJson(key),
      confirmedAt,
    }),
    put({ pk: byIdPk(vendor, g, key.id), sk: 'K', shard, idleSk: sk, ownerId }),
  ];
  if (ownerId) out.push(put({ pk: ownerPk(vendor, g, ownerId), sk: key.id, k: keyJson(key), confirmedAt }));
  return out;
}

function personItems(vendor: VendorId, g: string, person: UserSummary, confirmedAt: string): Write[] {
  const pk = peoplePk(vendor, g);
  const item = { person, confirmedAt };
  const out: Write[] = [put({ pk, sk: `i#${person.id}`, ...item })];
  if (person.email) out.push(put({ pk, sk: `e#${lower(person.email)}#${person.id}`, ...item }));
  if (person.name) out.push(put({ pk, sk: `n#${lower(person.name)}#${person.id}`, ...item }));
  return out;
}

function asDelete(w: Write): Write {
  return 'PutRequest' in w ? del(String(w.PutRequest.Item.pk), String(w.PutRequest.Item.sk)) : w;
}

/** Whether the person's new items rewrite this old one (same key), so it must not be deleted. */
function isRewritten(old: Write, person: UserSummary, vendor: VendorId, g: string): boolean {
  const key = writeKey(old);
  return personItems(vendor, g, person, '').some((w) => writeKey(w) === key);
}

// ---- the budget ----

export interface InventoryBudgetOptions {
  table: string;
  /**
   * Wall-clock milliseconds: pacing is about real time, whatever clock the rest of the bot is given (tests fix
   * theirs). @default Date.now
   */
  now?: () => number;
}

/**
 * Each vendor's request budget on the table (see the items above). The pace is a reservation schedule (GCRA): the
 * RATE item holds the time the vendor's next request may go, and each request moves it on by one interval with a
 * conditional write, so any number of workers together keep to the rate with one read and one write per request and
 * no busy waiting. A 429 doubles the interval for a while (`slowUntil`) and pushes the next slot past Retry-After.
 * Range slots are leases: a worker that dies frees its slot when the lease lapses.
 */
export class InventoryBudgetTable implements InventoryBudget {
  private readonly now: () => number;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly options: InventoryBudgetOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  private get table() {
    return this.options.table;
  }

  async acquireSlot(vendor: VendorId, holder: string, slots: number, leaseMs: number): Promise<boolean> {
    const now = this.now();
    for (let n = 0; n < slots; n++) {
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: { pk: budgetPk(vendor), sk: `SLOT#${n}`, holder, until: now + leaseMs },
            ConditionExpression: 'attribute_not_exists(pk) OR #until < :now OR holder = :holder',
            ExpressionAttributeNames: { '#until': 'until' },
            ExpressionAttributeValues: { ':now': now, ':holder': holder },
          }),
        );
        return true;
      } catch (err) {
        if (!conditionFailed(err)) throw err;
      }
    }
    return false;
  }

  async releaseSlot(vendor: VendorId, holder: string): Promise<void> {
    const slots = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :slot)',
        ExpressionAttributeValues: { ':pk': budgetPk(vendor), ':slot': 'SLOT#', ':holder': holder },
        FilterExpression: 'holder = :holder',
        ConsistentRead: true,
      }),
    );
    for (const slot of slots.Items ?? [])
      await this.db
        .send(
          new DeleteCommand({
            TableName: this.table,
            Key: { pk: budgetPk(vendor), sk: String(slot.sk) },
            ConditionExpression: 'holder = :holder',
            ExpressionAttributeValues: { ':holder': holder },
          }),
        )
        .catch((err: unknown) => {
          if (!conditionFailed(err)) throw err;
        });
  }

  async reserveRequest(vendor: VendorId, perSecond: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const item = await this.db.send(
        new GetCommand({
          TableName: this.table,
          Key: { pk: budgetPk(vendor), sk: 'RATE' },
          ConsistentRead: true,
        }),
      );
      const now = this.now();
      const next = Number(item.Item?.next ?? 0);
      const slowed = Number(item.Item?.slowUntil ?? 0) > now;
      const interval = (1000 / perSecond) * (slowed ? 2 : 1);
      const at = Math.max(now, next);
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: budgetPk(vendor), sk: 'RATE' },
            UpdateExpression: 'SET #next = :next',
            ConditionExpression: item.Item ? '#next = :seen' : 'attribute_not_exists(pk)',
            ExpressionAttributeNames: { '#next': 'next' },
            ExpressionAttributeValues: { ':next': at + interval, ...(item.Item ? { ':seen': next } : {}) },
          }),
        );
        return at - now;
      } catch (err) {
        if (!conditionFailed(err) || attempt > 50) throw err;
        // Another worker took this slot: read the schedule again, after a moment so the workers spread out.
        await new Promise((r) => setTimeout(r, Math.random() * 20));
      }
    }
  }

  async slowDown(vendor: VendorId, forMs: number, retryAfterMs = 0): Promise<void> {
    const now = this.now();
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: budgetPk(vendor), sk: 'RATE' },
        UpdateExpression: 'SET slowUntil = :until, #next = if_not_exists(#next, :zero)',
        ExpressionAttributeNames: { '#next': 'next' },
        ExpressionAttributeValues: { ':until': now + forMs, ':zero': 0 },
      }),
    );
    if (retryAfterMs > 0)
      // Everyone waits out the vendor's Retry-After: the next slot moves past it, unless it is already later.
      await this.db
        .send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: budgetPk(vendor), sk: 'RATE' },
            UpdateExpression: 'SET #next = :after',
            ConditionExpression: '#next < :after',
            ExpressionAttributeNames: { '#next': 'next' },
            ExpressionAttributeValues: { ':after': now + retryAfterMs },
          }),
        )
        .catch((err: unknown) => {
          if (!conditionFailed(err)) throw err;
        });
  }

  async slowedUntil(vendor: VendorId): Promise<number | undefined> {
    const item = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: budgetPk(vendor), sk: 'RATE' },
        ConsistentRead: true,
      }),
    );
    const until = Number(item.Item?.slowUntil ?? 0);
    return until > this.now() ? until : undefined;
  }
}
