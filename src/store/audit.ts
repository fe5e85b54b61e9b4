import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ArchivedAuditStore, AuditEvent, AuditWitness } from '../domain/audit.js';
import { mapLimit } from '../util/concurrency.js';
import { conditionFailed, recordOf } from './table.js';

/**
 * The audit trail on the bot's table. The chain is one partition, in sequence order, and each append is a
 * conditional put on the next sequence number, so two writers never fork it. An event is written without
 * `expiresAt`: it gains one (the retention) only once the archive holds it and a later event (services/audit.ts
 * `archiveAudit`), so the chain's head never leaves the table.
 *
 * | item               | pk             | sk                 |
 * |--------------------|----------------|--------------------|
 * | an event           | `AUDIT`        | `<seq, 12 digits>` |
 * | a witness          | `AUDITWITNESS` | `<seq, 12 digits>` |
 * | the archive's mark | `AUDITARCHIVE` | `MARK`             |
 */
const key = (seq: number) => String(seq).padStart(12, '0');

export class AuditTrailStore implements ArchivedAuditStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async head(): Promise<AuditEvent | undefined> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'AUDIT' },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = res.Items?.[0];
    return item ? toEvent(item) : undefined;
  }

  async put(event: AuditEvent): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: 'AUDIT', sk: key(event.seq), ...event },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }

  async recent(limit: number, beforeSeq?: number): Promise<AuditEvent[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: beforeSeq ? 'pk = :pk AND sk < :before' : 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'AUDIT', ...(beforeSeq ? { ':before': key(beforeSeq) } : {}) },
        ScanIndexForward: false,
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return (res.Items ?? []).map(toEvent);
  }

  async range(fromSeq: number, limit: number): Promise<AuditEvent[]> {
    const out: AuditEvent[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk >= :from',
          ExpressionAttributeValues: { ':pk': 'AUDIT', ':from': key(fromSeq) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
          Limit: Math.min(1000, limit - out.length),
        }),
      );
      for (const item of res.Items ?? []) out.push(toEvent(item));
      start = res.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (start && out.length < limit);
    return out;
  }

  async recordWitness(witness: AuditWitness): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: 'AUDITWITNESS', sk: key(witness.seq), ...witness },
      }),
    );
  }

  async witnesses(): Promise<AuditWitness[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'AUDITWITNESS' },
        ConsistentRead: true,
      }),
    );
    return (res.Items ?? []).map((i) => ({
      seq: Number(i.seq),
      hash: String(i.hash),
      at: i.at as string | undefined,
    }));
  }

  async archivedThrough(): Promise<number> {
    const res = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: 'AUDITARCHIVE', sk: 'MARK' },
        ConsistentRead: true,
      }),
    );
    return Number(res.Item?.seq ?? 0);
  }

  async markArchived(
    expiring: readonly AuditEvent[],
    previous: number,
    through: number,
    expiresAt: (event: AuditEvent) => number,
  ): Promise<boolean> {
    // Retention first: an event whose retention is set but whose mark did not move is simply archived again.
    // Eight at a time: a batch of a thousand events is a thousand small updates.
    await mapLimit(expiring, 8, (e) =>
      this.db
        .send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: 'AUDIT', sk: key(e.seq) },
            UpdateExpression: 'SET expiresAt = :t',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':t': expiresAt(e) },
          }),
        )
        .catch((err: unknown) => {
          // Already expired from the table: nothing to set.
          if (!conditionFailed(err)) throw err;
        }),
    );
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: 'AUDITARCHIVE', sk: 'MARK', seq: through },
          ConditionExpression: previous === 0 ? 'attribute_not_exists(pk)' : 'seq = :previous',
          ...(previous === 0 ? {} : { ExpressionAttributeValues: { ':previous': previous } }),
        }),
      );
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }
}

function toEvent(item: Record<string, unknown>): AuditEvent {
  return recordOf<AuditEvent>(item);
}
