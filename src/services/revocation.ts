import { Deadline, newMeter } from '../http/deadline.js';
import { ConfigError, userMessage } from '../http/errors.js';
import type { Logger } from '../log.js';
import type { Key, KeyRef, OperationContext, Provider, VendorId } from '../providers/types.js';
import {
  FINAL_OUTCOMES,
  type KeyOutcome,
  newRequestId,
  type RequestedKey,
  type RequestStore,
  type RevocationRequest,
} from '../store/requests.js';
import { type Clock, DAY_MS } from '../util/clock.js';
import { scanStaleKeys } from './stale.js';

/**
 * Two-person revocation, without Slack or AWS types: make a request, decide on it, execute it exactly once.
 * The state machine and its conditional writes live in store/requests.ts.
 */

export interface RevocationDeps {
  store: RequestStore;
  providers: Provider[];
  clock: Clock;
  logger: Logger;
  /** Everything but the vendor DELETE calls. */
  dryRun: boolean;
  /** @default 120_000 */
  deadlineMs?: number;
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

function context(deps: RevocationDeps): OperationContext {
  return { deadline: Deadline.after(deps.deadlineMs ?? 120_000), meter: newMeter() };
}

function provider(deps: RevocationDeps, vendor: VendorId): Provider {
  const p = deps.providers.find((x) => x.vendor === vendor);
  if (!p) throw new ConfigError(`${vendor} is not configured, so its keys cannot be checked or revoked`);
  return p;
}

/** Records a request for the keys as they are now (each is read again, so the request holds today's facts). */
export async function createRequest(
  source: RequestSource,
  input: { requester: string; reason?: string; ttlHours: number; origin?: { channel: string; user: string } },
  deps: RevocationDeps,
): Promise<{ request: RevocationRequest; keys: RequestedKey[] }> {
  let keys: RequestedKey[];
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
    keys = report.sections.flatMap((s) => [...s.neverUsed, ...s.stale]).map(toRequested);
    thresholdDays = source.days;
  } else {
    keys = [];
    for (const vendor of new Set(source.refs.map((r) => r.vendor))) {
      const refs = source.refs.filter((r) => r.vendor === vendor);
      const current = await provider(deps, vendor).currentKeys(refs, {}, context(deps));
      for (const r of refs) {
        const k = current.get(r.id);
        if (!k) throw new RevocationInputError('That key no longer exists; nothing to revoke.');
        keys.push(toRequested(k));
      }
    }
    thresholdDays = source.thresholdDays;
  }
  if (keys.length === 0) throw new RevocationInputError('Nothing to revoke: no key matches any more.');
  const now = deps.clock.now().getTime();
  const request = await deps.store.create({
    id: newRequestId(),
    requester: input.requester,
    reason: input.reason,
    thresholdDays,
    validUntil: new Date(now + input.ttlHours * 3_600_000).toISOString(),
    dryRun: deps.dryRun,
    origin: input.origin,
    keys,
  });
  deps.logger.info('revocation requested', {
    requestId: request.id,
    requester: input.requester,
    keys: keys.length,
  });
  return { request, keys };
}

export type Decision =
  | { kind: 'approved' | 'denied'; request: RevocationRequest }
  | { kind: 'refused'; why: 'self' | 'expired' | 'not_found' | 'already'; request?: RevocationRequest };

/** Approve or deny. Permission (approver list or group) is the caller's check; the requester is refused here. */
export async function decide(
  store: RequestStore,
  requestId: string,
  actor: string,
  decision: 'approve' | 'deny',
): Promise<Decision> {
  const t =
    decision === 'approve' ? await store.approve(requestId, actor) : await store.deny(requestId, actor);
  if (t.ok) return { kind: decision === 'approve' ? 'approved' : 'denied', request: t.request };
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

/**
 * Executes an approved request, exactly once per key. The execution is claimed first (approved → executing, or a
 * lapsed lease taken over); keys with a final outcome are skipped, so a retry resumes where a failure stopped.
 * Every remaining key is read again: gone → "already gone"; used since the request → skipped; the rest are
 * revoked in the vendor's batch size. A vendor failure half-way records what happened, hands the request back
 * (approved) for a retry, and reports a partial outcome.
 */
export async function executeRequest(requestId: string, deps: RevocationDeps): Promise<Execution> {
  const claim = await deps.store.claimExecution(requestId);
  if (!claim.ok) return { kind: 'not_runnable', request: claim.request };
  const request = claim.request;
  const attempt = request.attempt;
  const all = await deps.store.keys(requestId);
  const pending = all.filter((k) => !k.outcome || !FINAL_OUTCOMES.includes(k.outcome));
  const record = async (k: RequestedKey, outcome: KeyOutcome, detail?: string) => {
    if (await deps.store.recordOutcome(requestId, attempt, k, outcome, detail)) {
      k.outcome = outcome;
      k.detail = detail;
    }
  };

  try {
    for (const vendor of new Set(pending.map((k) => k.vendor))) {
      const p = provider(deps, vendor);
      const ctx = context(deps);
      const mine = pending.filter((k) => k.vendor === vendor);
      const cutoff = request.thresholdDays
        ? new Date(deps.clock.now().getTime() - request.thresholdDays * DAY_MS)
        : undefined;
      const current = await p.currentKeys(
        mine.map((k) => ({ vendor: k.vendor, id: k.id, ownerId: k.ownerId })),
        { cutoff },
        ctx,
      );
      const toRevoke: RequestedKey[] = [];
      for (const k of mine) {
        const now = current.get(k.id);
        if (!now) await record(k, 'already_gone');
        else if (usedSince(k, now)) await record(k, 'used_since_request', `last used ${now.lastUsedAt}`);
        else toRevoke.push(k);
      }
      for (let i = 0; i < toRevoke.length; i += p.revokeBatchSize) {
        const chunk = toRevoke.slice(i, i + p.revokeBatchSize);
        if (request.dryRun) {
          for (const k of chunk) await record(k, 'would_delete', 'dry run: not sent to the vendor');
          continue;
        }
        let results: Awaited<ReturnType<Provider['revoke']>>;
        try {
          results = await p.revoke(
            chunk.map((k) => ({ vendor: k.vendor, id: k.id, ownerId: k.ownerId })),
            ctx,
          );
        } catch (err) {
          const message = userMessage(err);
          for (const k of chunk) await record(k, 'failed', message);
          throw err;
        }
        const byId = new Map(results.map((r) => [r.id, r]));
        const failed: string[] = [];
        for (const k of chunk) {
          const r = byId.get(k.id);
          if (r?.outcome === 'failed') failed.push(r.error ?? 'the vendor refused');
          await record(k, r?.outcome ?? 'deleted', r?.error);
        }
        if (failed.length)
          throw new PartialRevocationError(
            `${failed.length} of ${chunk.length} keys could not be revoked: ${failed[0]}`,
          );
        deps.logger.info('keys revoked', { requestId, vendor, count: chunk.length, dryRun: request.dryRun });
      }
    }
  } catch (err) {
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
