import { createHash } from 'node:crypto';
import { type Clock, DAY_MS } from '../domain/clock.js';
import { Deadline, newMeter } from '../domain/deadline.js';
import type { Logger } from '../domain/logger.js';
import type {
  Exemption,
  KeyCycle,
  Policy,
  PolicyRunSummary,
  PolicyStore,
  SlackDirectory,
} from '../domain/policy.js';
import type { Key, Provider, VendorId } from '../domain/provider.js';
import { mapLimit } from '../util/concurrency.js';
import { globMatch } from '../util/glob.js';
import { isoDate, localDate } from '../util/zoned.js';
import { type CreatedRequest, createRequests, type RevocationDeps } from './revocation.js';
import { scanStaleKeys } from './stale.js';

/**
 * One run of one policy: find the idle keys it covers, tell each owner once, clear what was used again, and put
 * what nobody claimed after the grace period up for two-person revocation. `planPolicyRun` only reads; `applyPlan`
 * writes, every step a conditional write keyed by the run, so a run fired twice or retried half-way does nothing
 * twice.
 */

export interface PolicyDeps {
  providers: Provider[];
  store: PolicyStore;
  directory: SlackDirectory;
  clock: Clock;
  logger: Logger;
  /** The run's day is the day in this time zone (KEYWARDEN_TIMEZONE). */
  timeZone: string;
  /** Budget for the scan. @default 120 000 */
  deadlineMs?: number;
}

/** One owner's keys that this run tells them about. */
export interface OwnerGroup {
  ownerEmail?: string;
  /** Their Slack user; absent when Slack has no account with that email (they are listed to the admins). */
  slackUser?: string;
  keys: Key[];
  dueAt: string;
}

export interface PolicyPlan {
  policy: Policy;
  runId: string;
  at: string;
  /** Idle keys the policy covers, before exclusions and exemptions. */
  matched: Key[];
  /** Owners to tell now (new cycles, and those of this same run whose DM may not have gone yet). */
  notify: OwnerGroup[];
  /** Owners with no email or no Slack account: listed to the admins, their keys still go through the cycle. */
  unknownOwners: OwnerGroup[];
  /** Grace over, still idle, not kept: put up for revocation (or only reported, under `then: report`). */
  escalate: Array<{ key: Key; cycle: KeyCycle }>;
  /** Cycles that end: the key was used again, is gone, or is now excluded. */
  clear: Array<{ cycle: KeyCycle; why: string }>;
  /** Keys left alone this run, with why. */
  skipped: Array<{ key: Key; why: string }>;
  /** Vendors that could not be scanned: nothing of theirs is cleared or escalated on a partial view. */
  failures: Array<{ vendor: VendorId; label: string; message: string }>;
  /** Anything else the reader should know about this plan. */
  notes: string[];
  /** Keys in `notify` whose cycle this same run already started (a second firing): told again, not restarted. */
  retold: Set<string>;
  /** Keys that had a cycle item of any state when the plan was made. */
  hadCycle: Set<string>;
}

export interface PolicyRunResult {
  plan: PolicyPlan;
  dryRun: boolean;
  /** Keys whose cycle this run started. */
  started: number;
  requests: CreatedRequest[];
  cleared: number;
  escalated: number;
}

const cycleId = (vendor: VendorId, keyId: string) => `${vendor}#${keyId}`;
/** Conditional writes a run keeps in flight at once. */
const WRITES_IN_FLIGHT = 16;

/** The run of a policy on a day: two runs the same day are the same run. */
export function runIdFor(policy: string, now: Date, timeZone: string): string {
  return `${policy}#${isoDate(localDate(now.getTime(), timeZone))}`;
}

/** A request id derived from the run and the vendor, so creating it again finds the first one. */
export function policyRequestId(runId: string, vendor: VendorId, salt = ''): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const digest = createHash('sha256').update(`${runId}#${vendor}#${salt}`).digest();
  return `R-${Array.from(digest.subarray(0, 8), (b) => alphabet[b % 32]).join('')}`;
}

function excludedWhy(policy: Policy, key: Key): string | undefined {
  const email = key.owner.email?.toLowerCase();
  if (email && policy.exclude.owners.some((p) => globMatch(p, email))) return 'excluded (owner)';
  if (policy.exclude.keyNames.some((p) => globMatch(p, key.name))) return 'excluded (key name)';
  return undefined;
}

function usedSince(cycle: KeyCycle, key: Key): boolean {
  if (!key.lastUsedAt) return false;
  return !cycle.lastUsedAt || Date.parse(key.lastUsedAt) > Date.parse(cycle.lastUsedAt);
}

/**
 * Owners (as `vendor#owner id`) who belong to one of the policy's excluded groups. Only asked when the policy
 * excludes groups, and then one profile read per owner of an idle key, for vendors that have groups.
 */
async function ownersInGroups(
  policy: Policy,
  matched: readonly Key[],
  providers: readonly Provider[],
  deps: PolicyDeps,
): Promise<Set<string>> {
  const out = new Set<string>();
  if (policy.exclude.groups.length === 0) return out;
  const wanted = new Set(policy.exclude.groups.map((g) => g.toLowerCase()));
  const owners = [...new Set(matched.filter((k) => k.owner.id).map((k) => `${k.vendor}#${k.owner.id}`))];
  await mapLimit(owners, 8, async (owner) => {
    const [vendor, ...rest] = owner.split('#');
    const provider = providers.find((p) => p.vendor === vendor);
    if (!provider) return;
    const profile = await provider.userProfile(rest.join('#'), {
      deadline: Deadline.after(deps.deadlineMs ?? 120_000, deps.clock),
      meter: newMeter(),
    });
    if (profile.groups.some((g) => wanted.has(g.name.toLowerCase()))) out.add(owner);
  });
  return out;
}

/** Reads the vendors, the cycles and the exemptions, and says what this run would do. Writes nothing. */
export async function planPolicyRun(
  policy: Policy,
  deps: PolicyDeps,
  options: { dryRun?: boolean } = {},
): Promise<PolicyPlan> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const runId = runIdFor(policy.name, now, deps.timeZone);
  const providers = deps.providers.filter((p) => !policy.vendors || policy.vendors.includes(p.vendor));
  const report = await scanStaleKeys(providers, {
    days: policy.idleDays,
    clock: deps.clock,
    logger: deps.logger,
    deadlineMs: deps.deadlineMs,
  });
  const failures = report.sections
    .filter((s) => s.failure)
    .map((s) => ({ vendor: s.vendor, label: s.label, message: s.failure?.message ?? '' }));
  const neverUsedCutoff = now.getTime() - policy.neverUsedGraceDays * DAY_MS;
  const inScope = (k: Key) => !policy.types || policy.types.includes(k.type);
  const matched = report.sections.flatMap((s) => [
    ...s.stale.filter(inScope),
    // A never-used key gets its own grace from registration; one whose registration date is unknown is counted.
    ...s.neverUsed.filter((k) => inScope(k) && (!k.createdAt || Date.parse(k.createdAt) <= neverUsedCutoff)),
  ]);

  const [cycles, exemptions] = await Promise.all([deps.store.cycles(policy.name), deps.store.exemptions()]);
  const inExcludedGroup = await ownersInGroups(policy, matched, providers, deps);
  const cycleOf = new Map(cycles.map((c) => [cycleId(c.vendor, c.keyId), c]));
  const exemptUntil = new Map<string, Exemption>();
  for (const e of exemptions)
    if (Date.parse(e.until) > now.getTime()) exemptUntil.set(cycleId(e.vendor, e.keyId), e);

  const plan: PolicyPlan = {
    policy,
    runId,
    at,
    matched,
    notify: [],
    unknownOwners: [],
    escalate: [],
    clear: [],
    skipped: [],
    failures,
    notes: [],
    retold: new Set(),
    hadCycle: new Set(cycleOf.keys()),
  };
  const toTell: Key[] = [];
  const seen = new Set<string>();
  for (const key of matched) {
    const id = cycleId(key.vendor, key.id);
    seen.add(id);
    const cycle = cycleOf.get(id);
    const active = cycle && (cycle.state === 'notified' || cycle.state === 'kept');
    const excluded =
      excludedWhy(policy, key) ??
      (key.owner.id && inExcludedGroup.has(`${key.vendor}#${key.owner.id}`) ? 'excluded (group)' : undefined);
    if (excluded) {
      plan.skipped.push({ key, why: excluded });
      if (cycle && active) plan.clear.push({ cycle, why: excluded });
      continue;
    }
    const exemption = exemptUntil.get(id);
    if (exemption) {
      plan.skipped.push({ key, why: `exempt until ${exemption.until.slice(0, 10)}` });
      continue;
    }
    if (!cycle || cycle.state === 'cleared' || (cycle.state === 'kept' && (cycle.keptUntil ?? '') <= at)) {
      toTell.push(key);
      continue;
    }
    if (cycle.state === 'kept') {
      plan.skipped.push({ key, why: `kept until ${(cycle.keptUntil ?? '').slice(0, 10)}` });
      continue;
    }
    if (cycle.state === 'escalated') {
      plan.skipped.push({ key, why: `already put up for revocation (${cycle.requestId ?? 'request'})` });
      continue;
    }
    // notified
    if (usedSince(cycle, key)) {
      plan.clear.push({ cycle, why: 'used since notice' });
      continue;
    }
    if (cycle.dueAt <= at) {
      plan.escalate.push({ key, cycle });
      continue;
    }
    // Still in its grace period. A cycle this same run started is told again: its DM may not have gone (the notice
    // claim decides whether it did).
    if (cycle.runId === runId) {
      toTell.push(key);
      plan.retold.add(id);
    } else plan.skipped.push({ key, why: `in grace until ${cycle.dueAt.slice(0, 10)}` });
  }

  // Cycles whose key is no longer idle (used again) or no longer there, on vendors that were read in full.
  const failed = new Set(failures.map((f) => f.vendor));
  const scanned = new Set(providers.map((p) => p.vendor));
  const stray = cycles.filter(
    (c) =>
      (c.state === 'notified' || c.state === 'kept') &&
      !seen.has(cycleId(c.vendor, c.keyId)) &&
      scanned.has(c.vendor) &&
      !failed.has(c.vendor),
  );
  for (const p of providers) {
    const mine = stray.filter((c) => c.vendor === p.vendor);
    if (mine.length === 0) continue;
    const current = await p.currentKeys(
      mine.map((c) => ({ vendor: c.vendor, id: c.keyId, ownerId: c.ownerId })),
      {},
      { deadline: Deadline.after(deps.deadlineMs ?? 120_000, deps.clock), meter: newMeter() },
    );
    for (const c of mine) {
      const k = current.get(c.keyId);
      if (!k) plan.clear.push({ cycle: c, why: 'gone' });
      else if (usedSince(c, k)) plan.clear.push({ cycle: c, why: 'used since notice' });
      else if (!inScope(k)) plan.clear.push({ cycle: c, why: 'no longer covered by the policy' });
      // Otherwise it is idle by the vendor's own reading but was not listed (a never-used key inside its grace):
      // its cycle stands.
    }
  }

  // One group per owner, resolved to Slack through the cached directory.
  const dueAt = new Date(now.getTime() + policy.graceDays * DAY_MS).toISOString();
  const byOwner = new Map<string, Key[]>();
  for (const k of toTell) {
    const email = k.owner.email?.trim().toLowerCase() ?? '';
    byOwner.set(email, [...(byOwner.get(email) ?? []), k]);
  }
  const emails = [...byOwner.keys()].filter(Boolean);
  let slack = new Map<string, string>();
  if (emails.length && policy.notifyOwner) {
    try {
      slack = await deps.directory.usersByEmail(emails);
    } catch (err) {
      // A plan can still be shown without Slack (owners then read as unresolved); a real run stops here and is
      // retried, rather than treating everyone as missing from Slack.
      if (!options.dryRun) throw err;
      deps.logger.warn('could not read the Slack directory; owners are shown unresolved', { err });
      plan.notes.push(`Owners were not looked up in Slack (${(err as Error).message}).`);
    }
  }
  for (const [email, keys] of byOwner) {
    const due = keys
      .map((k) => cycleOf.get(cycleId(k.vendor, k.id)))
      .find((c) => c?.runId === runId && c.state === 'notified')?.dueAt;
    const group: OwnerGroup = {
      ownerEmail: email || undefined,
      slackUser: slack.get(email),
      keys,
      dueAt: due ?? dueAt,
    };
    if (!policy.notifyOwner || group.slackUser) plan.notify.push(group);
    else plan.unknownOwners.push(group);
  }
  for (const g of plan.unknownOwners)
    for (const key of g.keys)
      plan.skipped.push({ key, why: g.ownerEmail ? 'owner not in Slack' : 'owner unknown' });
  return plan;
}

export interface ApplyPorts {
  /** Revocation deps (the request store and the vendors) for escalation. */
  revocation: RevocationDeps;
  ttlHours: number;
}

/**
 * Carries a plan out (the caller holds the run's claim, `PolicyStore.claimRun`): starts the new cycles, clears the ended ones, and raises one request per vendor for the keys
 * whose grace is over (under `then: request_revocation`). Owner DMs are the caller's (they need Slack): it sends one
 * per group in `plan.notify`, each behind the store's notice claim. With `dryRun`, nothing is written.
 */
export async function applyPlan(
  plan: PolicyPlan,
  deps: PolicyDeps,
  ports: ApplyPorts,
  options: { dryRun: boolean },
): Promise<PolicyRunResult> {
  const result: PolicyRunResult = {
    plan,
    dryRun: options.dryRun,
    started: 0,
    requests: [],
    cleared: 0,
    escalated: 0,
  };
  if (options.dryRun) return result;
  const { policy, runId } = plan;
  const now = deps.clock.now().toISOString();
  // Conditional writes are independent of each other: a bounded number in flight keeps a run of thousands of keys
  // to seconds.
  const fresh = [...plan.notify, ...plan.unknownOwners].flatMap((group) =>
    group.keys.filter((k) => !plan.retold.has(cycleId(k.vendor, k.id))).map((key) => ({ group, key })),
  );
  const cycleFor = ({ group, key }: (typeof fresh)[number]): KeyCycle => ({
    policy: policy.name,
    vendor: key.vendor,
    keyId: key.id,
    keyName: key.name,
    keyType: key.type,
    ownerEmail: key.owner.email?.toLowerCase(),
    ownerId: key.owner.id,
    ownerSlackId: group.slackUser,
    state: 'notified',
    notifiedAt: now,
    dueAt: group.dueAt,
    lastUsedAt: key.lastUsedAt,
    createdAt: key.createdAt,
    runId,
  });
  // Keys that never had a cycle are written in batches: the caller holds the run's claim, so no other run writes
  // them now, and nobody can act on a cycle before it exists. A cycle that ended (cleared, or kept until a date
  // now past) restarts by a conditional write, since its owner may be acting on it.
  const never = fresh.filter((f) => !plan.hadCycle.has(cycleId(f.key.vendor, f.key.id)));
  await deps.store.startNewCycles(never.map(cycleFor));
  result.started += never.length;
  const restart = fresh.filter((f) => plan.hadCycle.has(cycleId(f.key.vendor, f.key.id)));
  await mapLimit(restart, WRITES_IN_FLIGHT, async (f) => {
    if (await deps.store.startCycle(cycleFor(f))) result.started++;
  });
  await mapLimit(plan.clear, WRITES_IN_FLIGHT, async ({ cycle, why }) => {
    if (await deps.store.clear(policy.name, cycle.vendor, cycle.keyId, why)) result.cleared++;
  });

  if (policy.then === 'request_revocation' && plan.escalate.length) {
    const notified = plan.escalate
      .map((e) => e.cycle.notifiedAt.slice(0, 10))
      .sort()
      .at(0);
    const created = await createRequests(
      {
        kind: 'keys',
        refs: plan.escalate.map((e) => ({ vendor: e.key.vendor, id: e.key.id, ownerId: e.key.owner.id })),
        thresholdDays: policy.idleDays,
      },
      {
        requester: `policy:${policy.name}`,
        policy: policy.name,
        reason: `Policy ${policy.name}: owners were notified from ${notified} and nobody claimed these keys within the ${policy.graceDays}-day grace period.`,
        ttlHours: ports.ttlHours,
        idFor: (vendor) => policyRequestId(runId, vendor),
        approvalsNeeded: 2,
        approvers: policy.approvers,
      },
      ports.revocation,
    ).catch((err: unknown) => {
      // Every key was used again or is gone: nothing to raise, and the cycles are cleared below.
      if ((err as Error).name === 'RevocationInputError') return [] as CreatedRequest[];
      throw err;
    });
    result.requests = created;
    const inRequest = new Map<string, string>();
    for (const c of created) for (const k of c.keys) inRequest.set(cycleId(k.vendor, k.id), c.request.id);
    for (const { key, cycle } of plan.escalate) {
      const requestId = inRequest.get(cycleId(key.vendor, key.id));
      if (requestId) {
        if (await deps.store.escalate(policy.name, cycle.vendor, cycle.keyId, requestId)) result.escalated++;
      } else if (
        await deps.store.clear(policy.name, cycle.vendor, cycle.keyId, 'no longer idle when re-read')
      ) {
        result.cleared++;
      }
    }
  }
  return result;
}

/** What a run did, for the run history. */
export function runSummary(result: PolicyRunResult): PolicyRunSummary {
  const { plan } = result;
  return {
    policy: plan.policy.name,
    runId: plan.runId,
    at: plan.at,
    dryRun: result.dryRun,
    matched: plan.matched.length,
    notified: plan.notify.reduce((n, g) => n + g.keys.length, 0),
    owners: plan.notify.length,
    escalated: result.dryRun ? plan.escalate.length : result.escalated,
    cleared: result.dryRun ? plan.clear.length : result.cleared,
    skipped: plan.skipped.length,
    requests: result.requests.map((r) => r.request.id),
  };
}
