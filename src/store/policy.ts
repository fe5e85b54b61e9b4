import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type Clock, DAY_MS, systemClock } from '../domain/clock.js';
import type { Exemption, KeyCycle, OwnerNotice, PolicyRunSummary, PolicyStore } from '../domain/policy.js';
import type { VendorId } from '../domain/vendors.js';
import { mapLimit } from '../util/concurrency.js';
import { conditionFailed, epochSeconds, recordOf } from './table.js';

/**
 * The hygiene lifecycle on the bot's table:
 *
 * | item                       | pk                   | sk                      |
 * |----------------------------|----------------------|-------------------------|
 * | a key's cycle in a policy  | `CYCLE#<policy>`     | `<vendor>#<key id>`     |
 * | an exemption               | `EXEMPT`             | `<vendor>#<key id>`     |
 * | an owner's notice of a run | `NOTICE#<run id>`    | `<owner email>`         |
 * | a run's summary            | `POLICYRUN`          | `<at>#<policy>`         |
 * | a run's claim              | `RUNLOCK`            | `<policy>#<day>`        |
 *
 * Every change of a cycle's state is one conditional write. A run first claims its day (a conditional write with a
 * lease), so a run that fires twice finds it done, and one retried after a crash takes the lapsed lease over and finds
 * its own work done; under that claim the cycles it starts and the notices it records go in batches.
 */
export interface PolicyStateStoreOptions {
  table: string;
  /** How long cycles, notices and run summaries are kept after their last change. @default 400 days */
  retainDays?: number;
  clock?: Clock;
}

export class PolicyStateStore implements PolicyStore {
  private readonly table: string;
  private readonly retainMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    options: PolicyStateStoreOptions,
  ) {
    this.table = options.table;
    this.retainMs = (options.retainDays ?? 400) * DAY_MS;
    this.clock = options.clock ?? systemClock;
  }

  private now(): number {
    return this.clock.now().getTime();
  }
  private ttl(from = this.now()): number {
    return epochSeconds(from + this.retainMs);
  }
  private cycleKey(policy: string, vendor: VendorId, keyId: string) {
    return { pk: `CYCLE#${policy}`, sk: `${vendor}#${keyId}` };
  }

  private async queryAll(pk: string): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ExclusiveStartKey: start,
        }),
      );
      out.push(...((res.Items ?? []) as Record<string, unknown>[]));
      start = res.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (start);
    return out;
  }

  async cycles(policy: string): Promise<KeyCycle[]> {
    return (await this.queryAll(`CYCLE#${policy}`)).map((i) => recordOf<KeyCycle>(i));
  }

  async cycle(policy: string, vendor: VendorId, keyId: string): Promise<KeyCycle | undefined> {
    const res = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: this.cycleKey(policy, vendor, keyId),
        ConsistentRead: true,
      }),
    );
    return res.Item ? recordOf<KeyCycle>(res.Item) : undefined;
  }

  async startCycle(cycle: KeyCycle): Promise<boolean> {
    return this.conditional(
      new PutCommand({
        TableName: this.table,
        Item: { ...this.cycleKey(cycle.policy, cycle.vendor, cycle.keyId), ...cycle, expiresAt: this.ttl() },
        ConditionExpression:
          'attribute_not_exists(pk) OR #state = :cleared OR (#state = :kept AND keptUntil <= :now)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':cleared': 'cleared',
          ':kept': 'kept',
          ':now': new Date(this.now()).toISOString(),
        },
      }),
    );
  }

  async keep(policy: string, vendor: VendorId, keyId: string, until: string): Promise<boolean> {
    return this.move(policy, vendor, keyId, 'SET #state = :kept, keptUntil = :until', '#state = :notified', {
      ':kept': 'kept',
      ':until': until,
      ':notified': 'notified',
    });
  }

  async escalate(policy: string, vendor: VendorId, keyId: string, requestId: string): Promise<boolean> {
    return this.move(
      policy,
      vendor,
      keyId,
      'SET #state = :escalated, requestId = :request',
      '#state = :notified AND dueAt <= :now',
      {
        ':escalated': 'escalated',
        ':request': requestId,
        ':notified': 'notified',
        ':now': new Date(this.now()).toISOString(),
      },
    );
  }

  async clear(policy: string, vendor: VendorId, keyId: string, why: string): Promise<boolean> {
    return this.move(
      policy,
      vendor,
      keyId,
      'SET #state = :cleared, clearedWhy = :why',
      '#state = :notified OR #state = :kept',
      { ':cleared': 'cleared', ':why': why, ':notified': 'notified', ':kept': 'kept' },
    );
  }

  async markNotMine(policy: string, vendor: VendorId, keyId: string, by: string): Promise<boolean> {
    return this.move(policy, vendor, keyId, 'SET notMineBy = :by', 'attribute_not_exists(notMineBy)', {
      ':by': by,
    });
  }

  async markNotMineAlerted(policy: string, vendor: VendorId, keyId: string): Promise<void> {
    await this.move(policy, vendor, keyId, 'SET notMineAlertedAt = :at', 'attribute_exists(notMineBy)', {
      ':at': new Date(this.now()).toISOString(),
    });
  }

  async grantExemption(exemption: Exemption): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: 'EXEMPT',
          sk: `${exemption.vendor}#${exemption.keyId}`,
          ...exemption,
          expiresAt: this.ttl(Date.parse(exemption.until)),
        },
      }),
    );
  }

  async exemptions(): Promise<Exemption[]> {
    return (await this.queryAll('EXEMPT')).map((i) => recordOf<Exemption>(i));
  }

  async claimNotice(
    notice: Omit<OwnerNotice, 'state'>,
    leaseMs: number,
  ): Promise<'claimed' | 'sent' | 'busy'> {
    const now = this.now();
    const claimed = await this.conditional(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `NOTICE#${notice.runId}`,
          sk: notice.ownerEmail,
          ...notice,
          state: 'sending',
          leaseUntil: now + leaseMs,
          expiresAt: this.ttl(),
        },
        // A notice whose sender died before recording the DM is sent again once its lease lapses: a DM that
        // might repeat is better than one that is lost.
        ConditionExpression: 'attribute_not_exists(pk) OR (#state = :sending AND leaseUntil < :now)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':sending': 'sending', ':now': now },
      }),
    );
    if (claimed) return 'claimed';
    const existing = await this.notice(notice.runId, notice.ownerEmail);
    return existing?.state === 'sent' ? 'sent' : 'busy';
  }

  async noticeSent(
    runId: string,
    ownerEmail: string,
    message: { channel: string; ts: string },
  ): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `NOTICE#${runId}`, sk: ownerEmail },
        UpdateExpression: 'SET #state = :sent, message = :message REMOVE leaseUntil',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':sent': 'sent', ':message': message },
      }),
    );
  }

  async notice(runId: string, ownerEmail: string): Promise<OwnerNotice | undefined> {
    const res = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: `NOTICE#${runId}`, sk: ownerEmail },
        ConsistentRead: true,
      }),
    );
    return res.Item ? recordOf<OwnerNotice>(res.Item) : undefined;
  }

  async claimRun(runId: string, leaseMs: number): Promise<'claimed' | 'done' | 'busy'> {
    const now = this.now();
    const key = { pk: 'RUNLOCK', sk: runId };
    const claimed = await this.conditional(
      new PutCommand({
        TableName: this.table,
        Item: { ...key, state: 'running', leaseUntil: now + leaseMs, expiresAt: this.ttl() },
        ConditionExpression: 'attribute_not_exists(pk) OR (#state = :running AND leaseUntil < :now)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':running': 'running', ':now': now },
      }),
    );
    if (claimed) return 'claimed';
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
    return res.Item?.state === 'done' ? 'done' : 'busy';
  }

  async finishRun(runId: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: 'RUNLOCK', sk: runId },
        UpdateExpression: 'SET #state = :done REMOVE leaseUntil',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':done': 'done' },
      }),
    );
  }

  async startNewCycles(cycles: readonly KeyCycle[]): Promise<void> {
    const expiresAt = this.ttl();
    await this.batchPut(
      cycles.map((c) => ({ ...this.cycleKey(c.policy, c.vendor, c.keyId), ...c, expiresAt })),
    );
  }

  async notices(runId: string, ownerEmails: readonly string[]): Promise<Map<string, OwnerNotice>> {
    const out = new Map<string, OwnerNotice>();
    const chunks: string[][] = [];
    for (let i = 0; i < ownerEmails.length; i += 100) chunks.push(ownerEmails.slice(i, i + 100));
    await mapLimit(chunks, 4, async (chunk) => {
      let keys: Record<string, unknown>[] = chunk.map((email) => ({ pk: `NOTICE#${runId}`, sk: email }));
      for (let round = 0; keys.length > 0; round++) {
        if (round > 8) throw new Error('could not read the notices: DynamoDB kept throttling');
        const res = await this.db.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of res.Responses?.[this.table] ?? []) {
          const n = recordOf<OwnerNotice>(item as Record<string, unknown>);
          out.set(n.ownerEmail, n);
        }
        keys = (res.UnprocessedKeys?.[this.table]?.Keys ?? []) as Record<string, unknown>[];
        if (keys.length) await new Promise((r) => setTimeout(r, 50 * 2 ** round));
      }
    });
    return out;
  }

  async putNotices(notices: readonly OwnerNotice[]): Promise<void> {
    const expiresAt = this.ttl();
    await this.batchPut(notices.map((n) => ({ pk: `NOTICE#${n.runId}`, sk: n.ownerEmail, ...n, expiresAt })));
  }

  /** BatchWriteItem in chunks of 25, a few in flight, sending again what DynamoDB left unprocessed. */
  private async batchPut(items: readonly Record<string, unknown>[]): Promise<void> {
    const chunks: Record<string, unknown>[][] = [];
    for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
    await mapLimit(chunks, 4, async (chunk) => {
      let requests = chunk.map((Item) => ({ PutRequest: { Item } }));
      for (let round = 0; requests.length > 0; round++) {
        if (round > 8) throw new Error('could not write the policy state: DynamoDB kept throttling');
        const res = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
        requests = (res.UnprocessedItems?.[this.table] ?? []) as typeof requests;
        if (requests.length) await new Promise((r) => setTimeout(r, 50 * 2 ** round));
      }
    });
  }

  async recordRun(summary: PolicyRunSummary): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: 'POLICYRUN', sk: `${summary.at}#${summary.policy}`, ...summary, expiresAt: this.ttl() },
      }),
    );
  }

  async lastRuns(limit: number): Promise<PolicyRunSummary[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'POLICYRUN' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (res.Items ?? []).map((i) => recordOf<PolicyRunSummary>(i));
  }

  private async move(
    policy: string,
    vendor: VendorId,
    keyId: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    const needsState = /#state/.test(`${update} ${condition}`);
    return this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: this.cycleKey(policy, vendor, keyId),
        UpdateExpression: `${update}, expiresAt = :ttl`,
        ConditionExpression: `attribute_exists(pk) AND (${condition})`,
        ...(needsState ? { ExpressionAttributeNames: { '#state': 'state' } } : {}),
        ExpressionAttributeValues: { ...values, ':ttl': this.ttl() },
      }),
    );
  }

  private async conditional(command: PutCommand | UpdateCommand): Promise<boolean> {
    try {
      await this.db.send(command as PutCommand);
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }
}
