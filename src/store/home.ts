import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, DAY_MS, systemClock } from '../domain/clock.js';
import type { HomeStore, MyKeysSnapshot, PostureSnapshot } from '../domain/home.js';
import { mapLimit } from '../util/concurrency.js';
import { conditionFailed, epochSeconds, recordOf } from './table.js';

/**
 * The App Home's stored state on the bot's table:
 *
 * | item                         | pk               | sk                        |
 * |------------------------------|------------------|---------------------------|
 * | a posture count              | `POSTURE`        | `<date>#<vendor>#<days>`  |
 * | a person's keys, last looked | `MYKEYS#<user>`  | `MYKEYS`                  |
 * | a Slack event handled        | `EVENT#<id>`     | `EVENT`                   |
 */
export class HomeStateStore implements HomeStore {
  private readonly clock: Clock;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly options: { table: string; clock?: Clock },
  ) {
    this.clock = options.clock ?? systemClock;
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  async recordPosture(snapshots: readonly PostureSnapshot[]): Promise<void> {
    const expiresAt = epochSeconds(this.now() + 120 * DAY_MS);
    await mapLimit(snapshots, 4, (p) =>
      this.db.send(
        new PutCommand({
          TableName: this.options.table,
          Item: { pk: 'POSTURE', sk: `${p.date}#${p.vendor}#${p.days}`, ...p, expiresAt },
        }),
      ),
    );
  }

  async posture(weeks: number): Promise<PostureSnapshot[]> {
    const from = new Date(this.now() - weeks * 7 * DAY_MS).toISOString().slice(0, 10);
    const out: PostureSnapshot[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.options.table,
          KeyConditionExpression: 'pk = :pk AND sk >= :from',
          ExpressionAttributeValues: { ':pk': 'POSTURE', ':from': from },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of res.Items ?? []) out.push(recordOf<PostureSnapshot>(item));
      start = res.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (start);
    return out;
  }

  async putMyKeys(snapshot: MyKeysSnapshot): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.options.table,
        Item: {
          pk: `MYKEYS#${snapshot.user}`,
          sk: 'MYKEYS',
          ...snapshot,
          expiresAt: epochSeconds(this.now() + 30 * DAY_MS),
        },
      }),
    );
  }

  async myKeys(user: string): Promise<MyKeysSnapshot | undefined> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.options.table, Key: { pk: `MYKEYS#${user}`, sk: 'MYKEYS' } }),
    );
    return res.Item ? recordOf<MyKeysSnapshot>(res.Item) : undefined;
  }

  async firstDelivery(eventId: string): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.options.table,
          Item: { pk: `EVENT#${eventId}`, sk: 'EVENT', expiresAt: epochSeconds(this.now() + DAY_MS) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }
}
