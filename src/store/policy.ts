import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type Clock, DAY_MS, systemClock } from '../domain/clock.js';
import type { Exemption, KeyCycle, OwnerNotice, PolicyRunSummary, PolicyStore } from '../domain/policy.js';
import type { VendorId } from '../domain/vendors.js';
import { conditionFailed, epochSeconds } from './table.js';

/**
 * The hygiene lifecycle on the bot's table:
 *
 * | item                       | pk                   | sk                      |
 * |----------------------------|----------------------|-------------------------|
 * | a key's cycle in a policy  | `CYCLE#<policy>`     | `<vendor>#<key id>`     |
 * | an exemption               | `EXEMPT`             | `<vendor>#<key id>`     |
 * | an owner's notice of a run | `NOTICE#<run id>`    | `<owner email>`         |
 * | a run's summary            | `POLICYRUN`          | `<at>#<policy>`         |
 *
 * Every state change is one conditional write, so a run that fires twice, or is retried after a crash half-way,
 * finds its own work done and does nothing twice.
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
    return (await this.queryAll(`CYCLE#${policy}`)).map((i) => strip<KeyCycle>(i));
  }

  async cycle(policy: string, vendor: VendorId, keyId: string): Promise<KeyCycle | undefined> {
    const res = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: this.cycleKey(policy, vendor, keyId),
        ConsistentRead: true,
      }),
    );
    return res.Item ? strip<KeyCycle>(res.Item) : undefined;
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
    return (await this.queryAll('EXEMPT')).map((i) => strip<Exemption>(i));
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
    return res.Item ? strip<OwnerNotice>(res.Item) : undefined;
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
    return (res.Items ?? []).map((i) => strip<PolicyRunSummary>(i));
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

function strip<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, expiresAt: _ttl, ...rest } = item;
  return rest as T;
}
