import { type Clock, DAY_MS } from '../domain/clock.js';
import { Deadline, newMeter } from '../domain/deadline.js';
import { ConfigError, userMessage } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { Metrics } from '../domain/metrics.js';
import type { Key, KeyRef, OperationContext, Provider, VendorId } from '../domain/provider.js';
import {
  FINAL_OUTCOMES,
  type KeyOutcome,
  newRequestId,
  type RequestCriterion,
  type RequestedKey,
  type RevocationRequest,
  type RevocationStore,
} from '../domain/revocation.js';
import { mapLimit } from '../util/concurrency.js';
import { scanStaleKeys } from './stale.js';

/**
 * Two-person revocation, without Slack or AWS types: make a request, decide on it, execute it exactly once.
 * The state machine and its conditional writes live in store/requests.ts.
 */

export interface RevocationDeps {
  store: RevocationStore;
  providers: Provider[];
  clock: Clock;
  logger: Logger;
  /** Everything but the vendor DELETE calls. */
  dryRun: boolean;
  /** Budget of one vendor operation (reading keys, one revoke batch). @default 120_000 */
  deadlineMs?: number;
  /**
   * One execution stops starting new work after this long, records where it is and hands over to a continuation
   * job, so no single worker invocation outlasts its timeout however many keys a request holds. @default 45_000
   */
  sliceMs?: number;
  /** Keys read back from the vendor at once before their batches are revoked. @default 5_000 */
  validateWindow?: number;
  /** Outcome writes in flight at once. @default 16 */
  writeConcurrency?: number;
  /** Keys kept out of revocation (`vendor#id` → until): left out of any request, with why. */
  exemptions?: ReadonlyMap<string, string>;
  /** Counts requests recorded and keys revoked. @default noMetrics */
  metrics?: Metrics;
}

export type RequestSource =
  | { kind: 'keys'; refs: KeyRef[]; thresholdDays?: number }
  | { kind: 'stale'; days: number; type?: string; vendor?: VendorId };

/** A vendor revoked some keys of a batch and refused others; the request stops and reports what happened. */
export class PartialRevocationError extends Error {
  override name = 'PartialRevocationError';
  userMessage(): string {
    return this.message;
  }
}

export class RevocationInputError extends Error {
  override name = 'RevocationInputError';
  userMessage(): string {
    return this.message;
  }
}

function toRequested(k: Key): RequestedKey {
  return {
    vendor: k.vendor,
    id: k.id,
    name: k.name,
    type: k.type,
    ownerId: k.owner.id,
    ownerEmail: k.owner.email,
    ownerName: k.owner.name,
    lastUsedAt: k.lastUsedAt,
    createdAt: k.createdAt,
  };
}

function provider(deps: RevocationDeps, vendor: VendorId): Provider {
  const p = deps.providers.find((x) => x.vendor === vendor);
  if (!p) throw new ConfigError(`${vendor} is not configured, so its keys cannot be checked or revoked`);
  return p;
}

/** What a request from a stale list claims of a vendor's keys: unused, or (no use recorded) old. */
function criterionFor(p: Provider, thresholdDays: number | undefined): RequestCriterion {
  if (thresholdDays === undefined) return 'exists';
  return p.tracksUse ? 'unused' : 'created';
}

/** Why `k` does not meet the criterion as of `cutoff`, or undefined when it does. */
export function failsCriterion(k: Key, criterion: RequestCriterion, cutoff: Date): string | undefined {
  if (criterion === 'exists') return undefined;
  if (criterion === 'unused') {
    if (k.lastUsedAt === null) return undefined;
    if (k.lastUsedAt && Date.parse(k.lastUsedAt) < cutoff.getTime()) return undefined;
    return k.lastUsedAt ? `used ${k.lastUsedAt.slice(0, 10)}, after the cutoff` : 'its last use is unknown';
  }
  if (k.createdAt && Date.parse(k.createdAt) < cutoff.getTime()) return undefined;
  return k.createdAt
    ? `created ${k.createdAt.slice(0, 10)}, after the cutoff`
    : 'its creation date is unknown';
}

export interface CreatedRequest {
  request: RevocationRequest;
  keys: RequestedKey[];
}

export interface RequestInput {
  requester: string;
  reason?: string;
  ttlHours: number;
  origin?: { channel: string; user: string };
  /** The request's id per vendor, when the caller needs creating it to be idempotent (a policy run). */
  idFor?: (vendor: VendorId) => string;
  policy?: string;
  approvalsNeeded?: 1 | 2;
  approvers?: string[];
  selfService?: boolean;
}

/**
 * Records revocation requests for the keys as they are now: every key is read again from its vendor and checked
 * against the claim the request will make ("unused for N+ days", or for a vendor that records no use "created more
 * than N days ago"); keys that no longer meet it are dropped, with why. One request per vendor, so no request ever
 * puts two vendors' different criteria under one sentence.
 */
export async function createRequests(
  source: RequestSource,
  input: RequestInput,
  deps: RevocationDeps,
): Promise<CreatedRequest[]> {
  const verifiedAt = deps.clock.now();
  const perVendor = new Map<
    VendorId,
    {
      keys: RequestedKey[];
      dropped: NonNullable<RevocationRequest['dropped']>;
      criterion: RequestCriterion;
      vendorLabel: string;
    }
  >();
  let thresholdDays: number | undefined;
  if (source.kind === 'stale') {
    const report = await scanStaleKeys(deps.providers, {
      days: source.days,
      type: source.type,
      vendor: source.vendor,
      clock: deps.clock,
      logger: deps.logger,
    });
    const failed = report.sections.find((s) => s.failure);
    if (failed?.failure)
      throw new RevocationInputError(`${failed.label} could not be scanned: ${failed.failure.message}`);
    thresholdDays = source.days;
    for (const s of report.sections) {
      const dropped: NonNullable<RevocationRequest['dropped']> = [];
      const keys: RequestedKey[] = [];
      for (const k of [...s.neverUsed, ...s.stale]) {
        const until = deps.exemptions?.get(`${k.vendor}#${k.id}`);
        if (until) dropped.push({ id: k.id, name: k.name, why: `exempt until ${until.slice(0, 10)}` });
        else keys.push(toRequested(k));
      }
      if (keys.length === 0 && dropped.length === 0) continue;
      perVendor.set(s.vendor, {
        keys,
        dropped,
        criterion: criterionFor(provider(deps, s.vendor), source.days),
        vendorLabel: s.label,
      });
    }
  } else {
    thresholdDays = source.thresholdDays;
    const cutoff = new Date(verifiedAt.getTime() - (thresholdDays ?? 0) * DAY_MS);
    for (const vendor of new Set(source.refs.map((r) => r.vendor))) {
      const p = provider(deps, vendor);
      const criterion = criterionFor(p, thresholdDays);
      const refs = source.refs.filter((r) => r.vendor === vendor);
      const ctx: OperationContext = {
        deadline: Deadline.after(deps.deadlineMs ?? 120_000),
        meter: newMeter(),
      };
      const current = await p.currentKeys(refs, {}, ctx);
      const entry = {
        keys: [] as RequestedKey[],
        dropped: [] as NonNullable<RevocationRequest['dropped']>,
        criterion,
        vendorLabel: p.label,
      };
      for (const r of refs) {
        const k = current.get(r.id);
        if (!k) {
          entry.dropped.push({ id: r.id, name: r.id, why: 'it no longer exists' });
          continue;
        }
        const until = deps.exemptions?.get(`${k.vendor}#${k.id}`);
        const why = until ? `exempt until ${until.slice(0, 10)}` : failsCriterion(k, criterion, cutoff);
        if (why) entry.dropped.push({ id: k.id, name: k.name, why });
        else entry.keys.push(toRequested(k));
      }
      perVendor.set(vendor, entry);
    }
    const kept = [...perVendor.values()].reduce((n, v) => n + v.keys.length, 0);
    if (kept === 0) {
      const first = [...perVendor.values()].flatMap((v) => v.dropped)[0];
      if (!first || first.why === 'it no longer exists')
        throw new RevocationInputError('That key no longer exists; nothing to revoke.');
      const claim = thresholdDays ? `unused for ${thresholdDays}+ days` : 'revocable';
      throw new RevocationInputError(
        `Nothing to revoke: "${first.name}" no longer qualifies as ${claim} (${first.why}).`,
      );
    }
  }
  if (perVendor.size === 0) throw new RevocationInputError('Nothing to revoke: no key matches any more.');

  const created: CreatedRequest[] = [];
  for (const [vendor, entry] of perVendor) {
    if (entry.keys.length === 0) continue;
    const now = deps.clock.now().getTime();
    const request = await deps.store.create({
      id: input.idFor?.(vendor) ?? newRequestId(),
      ...(input.policy ? { policy: input.policy } : {}),
      ...(input.approvalsNeeded ? { approvalsNeeded: input.approvalsNeeded } : {}),
      ...(input.approvers?.length ? { approvers: input.approvers } : {}),
      ...(input.selfService ? { selfService: true } : {}),
      requester: input.requester,
      reason: input.reason,
      thresholdDays,
      criterion: entry.criterion,
      vendorLabel: entry.vendorLabel,
      verifiedAt: verifiedAt.toISOString(),
      dropped: entry.dropped.length ? entry.dropped.slice(0, 50) : undefined,
      validUntil: new Date(now + input.ttlHours * 3_600_000).toISOString(),
      dryRun: deps.dryRun,
      origin: input.origin,
      keys: entry.keys,
    });
    deps.metrics?.count('RevocationsRequested');
    deps.logger.info('revocation requested', {
      requestId: request.id,
      requester: input.requester,
      keys: entry.keys.length,
      dropped: entry.dropped.length,
      criterion: entry.criterion,
    });
    created.push({ request, keys: entry.keys });
  }
  if (created.length === 0)
    throw new RevocationInputError(
      'Nothing to revoke: every key that matches is exempt (see /keys exemptions).',
    );
  return created;
}

export type Decision =
  | { kind: 'approved' | 'denied'; request: RevocationRequest }
  /** The first of the two approvals a policy's request needs: recorded, the request still pending. */
  | { kind: 'first_approval'; request: RevocationRequest }
  | {
      kind: 'refused';
      why: 'self' | 'expired' | 'not_found' | 'already' | 'same_approver';
      request?: RevocationRequest;
    };

/**
 * Approve or deny (a denial records the approver's reason). Permission (approver list or group) is the caller's
 * check; the requester is refused here.
 */
export async function decide(
  store: RevocationStore,
  requestId: string,
  actor: string,
  decision: 'approve' | 'deny',
  reason?: string,
): Promise<Decision> {
  const t =
    decision === 'approve'
      ? await store.approve(requestId, actor)
      : await store.deny(requestId, actor, reason);
  if (t.ok) {
    if (decision === 'approve' && t.request.state === 'pending')
      return { kind: 'first_approval', request: t.request };
    return { kind: decision === 'approve' ? 'approved' : 'denied', request: t.request };
  }
  if (t.reason === 'same_approver') return { kind: 'refused', why: 'same_approver', request: t.request };
  if (t.reason === 'expired') {
    const e = await store.expire(requestId);
    return { kind: 'refused', why: 'expired', request: e.request ?? t.request };
  }
  if (t.reason === 'self') return { kind: 'refused', why: 'self', request: t.request };
  if (t.reason === 'not_found') return { kind: 'refused', why: 'not_found' };
  return { kind: 'refused', why: 'already', request: t.request };
}

export type Execution =
  | { kind: 'done'; request: RevocationRequest; keys: RequestedKey[] }
  | { kind: 'partial'; request: RevocationRequest; keys: RequestedKey[]; error: string }
  /** The time slice ran out: what is done is recorded, and a continuation must carry on. */
  | { kind: 'continue'; request: RevocationRequest; keys: RequestedKey[] }
  | { kind: 'not_runnable'; request?: RevocationRequest };

const emptySummary = (): Record<KeyOutcome, number> => ({
  deleted: 0,
  already_gone: 0,
  used_since_request: 0,
  failed: 0,
  would_delete: 0,
});

function usedSince(before: RequestedKey, now: Key): boolean {
  if (!now.lastUsedAt) return false;
  return !before.lastUsedAt || Date.parse(now.lastUsedAt) > Date.parse(before.lastUsedAt);
}

const sentId = (k: RequestedKey) => `${k.vendor}#${k.id}`;

/** Never used first, then oldest last use (or creation, where use is not recorded) first. */
function byLastUse(a: RequestedKey, b: RequestedKey): number {
  const at = (k: RequestedKey) =>
    k.lastUsedAt === null ? Number.NEGATIVE_INFINITY : Date.parse(k.lastUsedAt ?? k.createdAt ?? '') || 0;
  return at(a) - at(b) || (a.id < b.id ? -1 : 1);
}
const INTERRUPTED =
  'deleted by Keywarden; the vendor confirmed it after the run that sent it was interrupted';

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Keys recorded as deleted (the vendor confirmed it), counted once: only the run whose write recorded it counts it. */
function countRevoked(deps: RevocationDeps, vendor: VendorId, keys: readonly RequestedKey[]): void {
  const deleted = keys.filter((k) => k.outcome === 'deleted').length;
  if (deleted > 0) deps.metrics?.count('KeysRevoked', { vendor }, deleted);
}

/** Raised inside an execution when its slice is over; caught below, never seen by callers. */
class SliceOver extends Error {
  override name = 'SliceOver';
}
/** Raised inside an execution when another one took the request over; caught below. */
class Fenced extends Error {
  override name = 'Fenced';
}

/**
 * Executes an approved request, exactly once per key, in time slices. The execution is claimed first (approved →
 * executing, or a lapsed lease taken over); keys with a final outcome are skipped, so a retry, a continuation or a
 * takeover resumes where the last one stopped. Keys are read back from the vendor a window at a time: gone →
 * "already gone" (or "deleted" when an interrupted run had sent it); used since the request → skipped; the rest are
 * revoked in the vendor's batch size, each batch written down before it is sent. When the slice runs out the
 * request is handed back (`continue`) for the next job; a vendor failure hands it back with the error (`partial`).
 */
export async function executeRequest(requestId: string, deps: RevocationDeps): Promise<Execution> {
  const claim = await deps.store.claimExecution(requestId);
  if (!claim.ok) return { kind: 'not_runnable', request: claim.request };
  const request = claim.request;
  const attempt = request.attempt;
  const startedAt = deps.clock.now().getTime();
  const sliceMs = deps.sliceMs ?? 45_000;
  // A slice always gets some work done, however short, so a continuation can never spin without progress.
  let progressed = false;
  const sliceOver = () => progressed && deps.clock.now().getTime() - startedAt >= sliceMs;
  // Every vendor call must end before the lease lapses, or a second execution could start alongside it.
  const vendorBudget = Math.max(
    5_000,
    Math.min(deps.deadlineMs ?? 120_000, deps.store.leaseDurationMs - sliceMs - 30_000),
  );
  const all = await deps.store.keys(requestId);
  const sent = await deps.store.sentKeys(requestId);
  const pending = all.filter((k) => !k.outcome || !FINAL_OUTCOMES.includes(k.outcome));
  const record = async (k: RequestedKey, outcome: KeyOutcome, detail?: string) => {
    if (await deps.store.recordOutcome(requestId, attempt, k, outcome, detail)) {
      k.outcome = outcome;
      k.detail = detail;
    }
  };
  const recordAll = (items: Array<[RequestedKey, KeyOutcome, string | undefined]>) =>
    mapLimit(items, deps.writeConcurrency ?? 16, ([k, o, d]) => record(k, o, d));
  let batchNo = 0;

  try {
    for (const vendor of new Set(pending.map((k) => k.vendor))) {
      const p = provider(deps, vendor);
      const cutoff = request.thresholdDays
        ? new Date(deps.clock.now().getTime() - request.thresholdDays * DAY_MS)
        : undefined;
      // Least recently used first, as vendors list stale keys: a window's keys then sit at the start of the
      // vendor's listing (the windows before it are deleted), so confirming them reads only that stretch.
      const mine = pending.filter((k) => k.vendor === vendor).sort(byLastUse);
      for (const window of chunks(mine, deps.validateWindow ?? 5_000)) {
        if (sliceOver()) throw new SliceOver();
        if (!(await deps.store.renewLease(requestId, attempt))) throw new Fenced();
        const ctx: OperationContext = {
          deadline: Deadline.after(vendorBudget, deps.clock),
          meter: newMeter(),
        };
        const current = await p.currentKeys(
          window.map((k) => ({ vendor: k.vendor, id: k.id, ownerId: k.ownerId })),
          { cutoff },
          ctx,
        );
        const toRevoke: RequestedKey[] = [];
        const decided: Array<[RequestedKey, KeyOutcome, string | undefined]> = [];
        for (const k of window) {
          const now = current.get(k.id);
          if (!now)
            decided.push(sent.has(sentId(k)) ? [k, 'deleted', INTERRUPTED] : [k, 'already_gone', undefined]);
          else if (usedSince(k, now)) decided.push([k, 'used_since_request', `last used ${now.lastUsedAt}`]);
          else toRevoke.push(k);
        }
        await recordAll(decided);
        countRevoked(
          deps,
          vendor,
          decided.map(([k]) => k),
        );
        if (decided.length) progressed = true;
        for (const chunk of chunks(toRevoke, p.revokeBatchSize)) {
          if (sliceOver()) throw new SliceOver();
          if (request.dryRun) {
            await recordAll(chunk.map((k) => [k, 'would_delete', 'dry run: not sent to the vendor']));
            progressed = true;
            continue;
          }
          await deps.store.markSent(requestId, attempt, batchNo++, chunk);
          let results: Awaited<ReturnType<Provider['revoke']>>;
          try {
            results = await p.revoke(
              chunk.map((k) => ({ vendor: k.vendor, id: k.id, ownerId: k.ownerId })),
              { deadline: Deadline.after(vendorBudget, deps.clock), meter: ctx.meter },
            );
          } catch (err) {
            const message = userMessage(err);
            await recordAll(chunk.map((k) => [k, 'failed', message]));
            throw err;
          }
          const byId = new Map(results.map((r) => [r.id, r]));
          const failed: string[] = [];
          await recordAll(
            chunk.map((k): [RequestedKey, KeyOutcome, string | undefined] => {
              const r = byId.get(k.id);
              if (r?.outcome === 'failed') failed.push(r.error ?? 'the vendor refused');
              // Gone now, but sent by an earlier run of this request that died before recording it.
              if (r?.outcome === 'already_gone' && sent.has(sentId(k))) return [k, 'deleted', INTERRUPTED];
              return [k, r?.outcome ?? 'deleted', r?.error];
            }),
          );
          progressed = true;
          countRevoked(deps, vendor, chunk);
          if (failed.length)
            throw new PartialRevocationError(
              `${failed.length} of ${chunk.length} keys could not be revoked: ${failed[0]}`,
            );
          deps.logger.info('keys revoked', {
            requestId,
            vendor,
            count: chunk.length,
            dryRun: request.dryRun,
          });
        }
      }
    }
  } catch (err) {
    if (err instanceof Fenced) {
      deps.logger.warn('another execution took this request over; this one stops', { requestId, attempt });
      return { kind: 'not_runnable', request: await deps.store.get(requestId) };
    }
    if (err instanceof SliceOver) {
      if (!(await deps.store.yieldExecution(requestId, attempt)))
        return { kind: 'not_runnable', request: await deps.store.get(requestId) };
      const done = all.filter((k) => k.outcome).length;
      deps.logger.info('revocation slice over; a continuation carries on', {
        requestId,
        attempt,
        done,
        of: all.length,
      });
      return { kind: 'continue', request: { ...request, state: 'approved', leaseUntil: 0 }, keys: all };
    }
    const error = userMessage(err);
    deps.logger.error('revocation stopped half-way; it can be resumed', { requestId, attempt, err });
    await deps.store.release(requestId, attempt, error);
    return {
      kind: 'partial',
      request: { ...request, state: 'approved', lastError: error },
      keys: all,
      error,
    };
  }

  const summary = emptySummary();
  for (const k of all) if (k.outcome) summary[k.outcome]++;
  const done = await deps.store.finish(requestId, attempt, summary);
  if (!done.ok) return { kind: 'not_runnable', request: done.request };
  deps.logger.info('revocation finished', { requestId, summary });
  return { kind: 'done', request: done.request, keys: all };
}
