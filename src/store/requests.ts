import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type Clock, systemClock } from '../domain/clock.js';
import {
  FINAL_OUTCOMES,
  type KeyOutcome,
  newRequestId,
  type RequestCriterion,
  type RequestedKey,
  type RequestState,
  type RevocationRequest,
  type RevocationStore,
  type Transition,
} from '../domain/revocation.js';
import type { Redactor } from '../log.js';
import { mapLimit } from '../util/concurrency.js';
import { conditionFailed, epochSeconds, GSI1, recordOf } from './table.js';

export {
  FINAL_OUTCOMES,
  type KeyOutcome,
  newRequestId,
  type RequestCriterion,
  type RequestedKey,
  type RequestState,
  type RevocationRequest,
  type Transition,
};

/**
 * Revocation requests: a state machine in DynamoDB, moved only by conditional writes.
 *
 *   pending ──approve──▶ approved ──claim──▶ executing ──finish──▶ done
 *      │                    ▲                    │
 *      ├──deny──▶ denied     ├──────release──────┤   (a vendor failed half-way; a retry resumes)
 *      │                     └──────yield────────┘   (a time slice ran out; a continuation job resumes)
 *      └──(touched after validUntil)──▶ expired
 *
 *   executing ──(lease lapsed: the worker died)──claim──▶ executing (attempt + 1), resumed where it stopped
 *
 * Items (see table.ts for the table):
 * | item              | pk          | sk            |
 * |-------------------|-------------|---------------|
 * | the request       | `REQ#<id>`  | `REQ`         |
 * | one key and its outcome | `REQ#<id>` | `KEY#<vendor>#<key id>` |
 * | keys about to be sent to the vendor | `REQ#<id>` | `SENT#<attempt>#<batch>` |
 *
 * Open requests (pending, approved, executing) also carry `gsi1pk = REQ#OPEN`, a sparse index the sweep of stuck
 * requests reads; the write that moves a request to an end state removes it.
 *
 * Before a batch goes to the vendor its key ids are written down (`SENT#…`). If the worker dies between the
 * vendor's DELETE and the outcome write, the resumed execution finds the key gone and, because it was sent,
 * reports it as deleted by Keywarden rather than "already gone".
 *
 * Each key is its own item so a request can hold thousands of keys (an item is at most 400 KB) and so each
 * key's outcome is written once, conditionally: a key with a final outcome is never sent to the vendor again.
 * Execution is fenced by `attempt`: an executor whose lease lapsed (and was taken over) can no longer release or
 * finish the request. The outcomes it may still record stay true, since each is what the vendor answered.
 */

export interface RequestStoreOptions {
  table: string;
  /** How long records are kept for audit. @default 400 days */
  retainDays?: number;
  /** How long one execution may hold a request before another may resume it. @default 300_000 */
  leaseMs?: number;
  /** Time, for TTLs and leases. @default the system clock */
  clock?: Clock;
  /**
   * Scrubs the runtime's secrets from error text (`lastError`, a key's `detail`) before it is stored. The store
   * is the one place every such write passes, whoever calls it, so redacting here needs no caller to remember.
   * Vendor text arrives already summarised and redacted against the credential sent (http/errors.ts); this also
   * catches every other secret the runtime holds.
   */
  redactor?: Redactor;
}

/** Stored error text is cut to this: it is shown in Slack at 300 characters and an item must stay far below 400 KB. */
export const STORED_ERROR_MAX = 500;

const requestKey = (id: string) => ({ pk: `REQ#${id}`, sk: 'REQ' });
/** The sparse index of open requests (see the table above). */
export const OPEN_INDEX = GSI1;
const OPEN = 'REQ#OPEN';
const keySk = (vendor: string, id: string) => `KEY#${vendor}#${id}`;

export class RequestStore implements RevocationStore {
  private readonly retainMs: number;
  private readonly leaseMs: number;
  private readonly now: () => number;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly options: RequestStoreOptions,
  ) {
    this.retainMs = (options.retainDays ?? 400) * 86_400_000;
    this.leaseMs = options.leaseMs ?? 300_000;
    const clock = options.clock ?? systemClock;
    this.now = () => clock.now().getTime();
  }

  private get table() {
    return this.options.table;
  }

  private ttl(): number {
    return epochSeconds(this.now() + this.retainMs);
  }

  /** Writes the keys first, then the request, so a request never exists without all of its keys. */
  async create(
    input: Omit<RevocationRequest, 'state' | 'attempt' | 'keyCount' | 'vendors' | 'createdAt'> & {
      keys: RequestedKey[];
    },
  ): Promise<RevocationRequest> {
    const { keys, ...rest } = input;
    // A request id chosen by its caller (a policy run's) makes creating it idempotent: a retried run finds it.
    const existing = await this.get(rest.id);
    if (existing) return existing;
    const expiresAt = this.ttl();
    const chunks: RequestedKey[][] = [];
    for (let i = 0; i < keys.length; i += 25) chunks.push(keys.slice(i, i + 25));
    await mapLimit(chunks, 4, async (chunk) => {
      let items = chunk.map((k) => ({
        PutRequest: { Item: { pk: `REQ#${rest.id}`, sk: keySk(k.vendor, k.id), ...k, expiresAt } },
      }));
      // BatchWrite may leave items unprocessed under throttling; send those again.
      for (let round = 0; items.length > 0; round++) {
        if (round > 8) throw new Error(`could not store the keys of ${rest.id}: DynamoDB kept throttling`);
        const res = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: items } }));
        items = (res.UnprocessedItems?.[this.table] ?? []) as typeof items;
        if (items.length) await new Promise((r) => setTimeout(r, 50 * 2 ** round));
      }
    });
    const request: RevocationRequest = {
      ...rest,
      state: 'pending',
      attempt: 0,
      keyCount: keys.length,
      vendors: [...new Set(keys.map((k) => k.vendor))],
      createdAt: new Date(this.now()).toISOString(),
    };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...requestKey(request.id), ...request, expiresAt, gsi1pk: OPEN, gsi1sk: request.createdAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      // The same id written at the same moment by a retried run: the first one stands.
      const winner = conditionFailed(err) ? await this.get(rest.id) : undefined;
      if (winner) return winner;
      throw err;
    }
    return request;
  }

  async get(id: string): Promise<RevocationRequest | undefined> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: requestKey(id), ConsistentRead: true }),
    );
    return res.Item ? recordOf<RevocationRequest>(res.Item) : undefined;
  }

  async keys(id: string): Promise<RequestedKey[]> {
    return (await this.itemsOf(id, 'KEY#')).map((item) => recordOf<RequestedKey>(item));
  }

  /** Every item of a request whose sort key starts with `prefix`, page by page, read consistently. */
  private async itemsOf(id: string, prefix: string): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': `REQ#${id}`, ':prefix': prefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async setMessage(id: string, message: { channel: string; ts: string }): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: requestKey(id),
        UpdateExpression: 'SET message = :m',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':m': message },
      }),
    );
  }

  /**
   * pending → approved, only for someone other than the requester, before `validUntil`. Two approvers at the same
   * moment: DynamoDB lets exactly one of these conditional writes through.
   */
  async approve(id: string, approver: string): Promise<Transition> {
    const at = new Date(this.now()).toISOString();
    const values = { ':pending': 'pending', ':who': approver, ':at': at };
    // The last approval a request needs: its only one, or the second by someone other than the first.
    const last = await this.transition(
      id,
      {
        UpdateExpression: 'SET #state = :approved, approver = :who, approvedAt = :at',
        ConditionExpression:
          '#state = :pending AND requester <> :who AND validUntil > :at AND (attribute_not_exists(approvalsNeeded) OR approvalsNeeded < :two OR (attribute_exists(firstApprover) AND firstApprover <> :who))',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ...values, ':approved': 'approved', ':two': 2 },
      },
      approver,
    );
    const r = last.request;
    if (last.ok || last.reason !== 'state' || !r || r.state !== 'pending' || r.approvalsNeeded !== 2)
      return last;
    if (r.firstApprover === approver) return { ok: false, request: r, reason: 'same_approver' };
    // The first of two: recorded, and the request stays pending for the second.
    return this.transition(
      id,
      {
        UpdateExpression: 'SET firstApprover = :who, firstApprovedAt = :at',
        ConditionExpression:
          '#state = :pending AND requester <> :who AND validUntil > :at AND approvalsNeeded = :two AND attribute_not_exists(firstApprover)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ...values, ':two': 2 },
      },
      approver,
    );
  }

  /**
   * pending → denied, by someone other than the requester, before `validUntil`, with the approver's reason (written
   * in the same conditional write, so a denied request always carries the reason it was denied with).
   */
  async deny(id: string, denier: string, reason?: string): Promise<Transition> {
    const at = new Date(this.now()).toISOString();
    return this.transition(
      id,
      {
        UpdateExpression: `SET #state = :denied, deniedBy = :who, deniedAt = :at${reason ? ', denyReason = :reason' : ''} REMOVE gsi1pk`,
        ConditionExpression: '#state = :pending AND requester <> :who AND validUntil > :at',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':denied': 'denied',
          ':pending': 'pending',
          ':who': denier,
          ':at': at,
          ...(reason ? { ':reason': reason } : {}),
        },
      },
      denier,
    );
  }

  /** pending → expired, once `validUntil` has passed (done lazily, when someone touches the request). */
  async expire(id: string): Promise<Transition> {
    const at = new Date(this.now()).toISOString();
    return this.transition(id, {
      UpdateExpression: 'SET #state = :expired, expiredAt = :at REMOVE gsi1pk',
      ConditionExpression: '#state = :pending AND validUntil <= :at',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':expired': 'expired', ':pending': 'pending', ':at': at },
    });
  }

  /**
   * approved → executing, or takes over an execution whose lease lapsed (its worker died). Returns the request with
   * its new `attempt`, the fencing token every later write of this execution must carry.
   */
  async claimExecution(id: string): Promise<Transition> {
    const now = this.now();
    return this.transition(id, {
      UpdateExpression:
        'SET #state = :executing, leaseUntil = :lease, attempt = attempt + :one, executionStartedAt = :at REMOVE lastError',
      ConditionExpression: '#state = :approved OR (#state = :executing AND leaseUntil < :now)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':executing': 'executing',
        ':approved': 'approved',
        ':lease': now + this.leaseMs,
        ':now': now,
        ':one': 1,
        ':at': new Date(now).toISOString(),
      },
    });
  }

  /**
   * Extends the current execution's lease; false when another execution has taken the request over (this one must
   * stop: its attempt is fenced off).
   */
  renewLease(id: string, attempt: number): Promise<boolean> {
    return this.conditionalUpdate({
      Key: requestKey(id),
      UpdateExpression: 'SET leaseUntil = :lease',
      ConditionExpression: '#state = :executing AND attempt = :a',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':executing': 'executing',
        ':a': attempt,
        ':lease': this.now() + this.leaseMs,
      },
    });
  }

  /** How long an execution holds its lease; a time slice must end well inside it. */
  get leaseDurationMs(): number {
    return this.leaseMs;
  }

  /**
   * Writes down, before they go to the vendor, the keys of one batch. A resumed execution reads these back
   * (`sentKeys`) to tell keys Keywarden deleted from keys that were already gone.
   */
  async markSent(id: string, attempt: number, batch: number, keys: readonly RequestedKey[]): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `REQ#${id}`,
          sk: `SENT#${String(attempt).padStart(6, '0')}#${String(batch).padStart(6, '0')}`,
          keys: keys.map((k) => keySk(k.vendor, k.id)),
          at: new Date(this.now()).toISOString(),
          expiresAt: this.ttl(),
        },
      }),
    );
  }

  /** Every key (as `vendor#id`) any execution of this request sent to the vendor. */
  async sentKeys(id: string): Promise<Set<string>> {
    const sent = new Set<string>();
    for (const item of await this.itemsOf(id, 'SENT#'))
      for (const k of (item.keys as string[] | undefined) ?? []) sent.add(k.slice('KEY#'.length));
    return sent;
  }

  /**
   * Open requests (pending, approved or executing), oldest first, from the sparse index. The index is eventually
   * consistent: callers re-read a request (`get`) before acting on it.
   */
  async listOpen(): Promise<Array<Pick<RevocationRequest, 'id' | 'state' | 'createdAt'>>> {
    const out: Array<Pick<RevocationRequest, 'id' | 'state' | 'createdAt'>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: OPEN_INDEX,
          KeyConditionExpression: 'gsi1pk = :open',
          ExpressionAttributeNames: { '#id': 'id', '#state': 'state', '#created': 'createdAt' },
          ExpressionAttributeValues: { ':open': OPEN },
          ProjectionExpression: '#id, #state, #created',
          ExclusiveStartKey: start,
        }),
      );
      for (const item of res.Items ?? [])
        out.push({
          id: String(item.id),
          state: item.state as RequestState,
          createdAt: String(item.createdAt),
        });
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** Records one key's outcome, unless it already has a final one (a `failed` key may be retried and recorded again). */
  recordOutcome(
    id: string,
    attempt: number,
    key: RequestedKey,
    outcome: KeyOutcome,
    detail?: string,
  ): Promise<boolean> {
    return this.conditionalUpdate({
      Key: { pk: `REQ#${id}`, sk: keySk(key.vendor, key.id) },
      UpdateExpression: 'SET outcome = :o, detail = :d, attempt = :a, decidedAt = :at',
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(outcome) OR outcome = :failed)',
      ExpressionAttributeValues: {
        ':o': outcome,
        ':d': detail === undefined ? null : this.errorText(detail),
        ':a': attempt,
        ':at': new Date(this.now()).toISOString(),
        ':failed': 'failed',
      },
    });
  }

  /** executing → approved again after a failure half-way, so a retry can resume; only by the current attempt. */
  release(id: string, attempt: number, error: string): Promise<boolean> {
    return this.handBack(id, attempt, error);
  }

  /**
   * executing → approved after a time slice ran out, with no error: the next slice (a continuation job, or the
   * sweep if that job is lost) claims it again and carries on. Only by the current attempt.
   */
  yieldExecution(id: string, attempt: number): Promise<boolean> {
    return this.handBack(id, attempt);
  }

  private handBack(id: string, attempt: number, error?: string): Promise<boolean> {
    return this.conditionalUpdate({
      Key: requestKey(id),
      UpdateExpression: `SET #state = :approved, leaseUntil = :zero, yieldedAt = :at${error === undefined ? '' : ', lastError = :e'}`,
      ConditionExpression: '#state = :executing AND attempt = :a',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':approved': 'approved',
        ':executing': 'executing',
        ':a': attempt,
        ':zero': 0,
        ':at': new Date(this.now()).toISOString(),
        ...(error === undefined ? {} : { ':e': this.errorText(error) }),
      },
    });
  }

  /** One conditional update: true when it was written, false when its condition did not hold. */
  private async conditionalUpdate(update: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>) {
    try {
      await this.db.send(new UpdateCommand({ TableName: this.table, ...update }));
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }

  /** executing → done with the outcome counts; exactly one execution gets to do this. */
  async finish(id: string, attempt: number, summary: Record<KeyOutcome, number>): Promise<Transition> {
    return this.transition(id, {
      UpdateExpression: 'SET #state = :done, summary = :s, completedAt = :at REMOVE leaseUntil, gsi1pk',
      ConditionExpression: '#state = :executing AND attempt = :a',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':done': 'done',
        ':executing': 'executing',
        ':a': attempt,
        ':s': summary,
        ':at': new Date(this.now()).toISOString(),
      },
    });
  }

  private errorText(text: string): string {
    const safe = this.options.redactor?.redact(text) ?? text;
    return safe.length > STORED_ERROR_MAX ? `${safe.slice(0, STORED_ERROR_MAX - 1)}…` : safe;
  }

  private async transition(
    id: string,
    update: {
      UpdateExpression: string;
      ConditionExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues: Record<string, unknown>;
    },
    actor?: string,
  ): Promise<Transition> {
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: requestKey(id),
          ...update,
          ConditionExpression: `attribute_exists(pk) AND (${update.ConditionExpression})`,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { ok: true, request: recordOf<RevocationRequest>(res.Attributes ?? {}) };
    } catch (err) {
      if (!conditionFailed(err)) throw err;
    }
    const request = await this.get(id);
    if (!request) return { ok: false, request, reason: 'not_found' };
    if (actor !== undefined && request.state === 'pending' && request.requester === actor)
      return { ok: false, request, reason: 'self' };
    if (request.state === 'pending' && Date.parse(request.validUntil) <= this.now())
      return { ok: false, request, reason: 'expired' };
    return { ok: false, request, reason: 'state' };
  }
}
