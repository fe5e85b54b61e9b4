import { createHash } from 'node:crypto';
import { errorMessage, noticeMessage } from '../../blocks/common.js';
import { DAY_MS } from '../../domain/clock.js';
import { Deadline, newMeter } from '../../domain/deadline.js';
import type { KeyCycle, OwnerNotice, Policy } from '../../domain/policy.js';
import type { Key } from '../../domain/provider.js';
import { audit } from '../../jobs/audit.js';
import { type PolicyWorkerDeps, RetryJobError, type WorkerDeps } from '../../jobs/deps.js';
import type { Job } from '../../jobs/job.js';
import { configuredProviders } from '../../jobs/progress.js';
import {
  applyPlan,
  type OwnerGroup,
  type PolicyDeps,
  type PolicyRunResult,
  planPolicyRun,
  policyRequestId,
  runSummary,
} from '../../services/policy.js';
import { createRequests, decide } from '../../services/revocation.js';
import type { Replier } from '../../slack/replier.js';
import { mapLimit } from '../../util/concurrency.js';
import { execute, postForApproval, revocationServiceDeps } from '../revocation/jobs.js';
import { exemptionsMessage, notMineAlert, ownerNotice, planMessage } from './blocks.js';

type RunJob = Job & { kind: 'policy.run' };
type NotifyJob = Job & { kind: 'policy.notify' };
type PlanJob = Job & { kind: 'policy.plan' };
type KeepJob = Job & { kind: 'policy.keep' };
type SelfRevokeJob = Job & { kind: 'policy.self_revoke' };
type NotMineJob = Job & { kind: 'policy.not_mine' };
type GrantJob = Job & { kind: 'exempt.grant' };
type ListJob = Job & { kind: 'exempt.list' };

const privately = { replace: false };
/** How long a run holds its day's claim before a retry may take it over. */
const RUN_LEASE_MS = 15 * 60_000;
/** Owner DMs sent at once. */
const NOTICES_IN_FLIGHT = 16;
/** How long a claimed notice may take to send before another run may send it. */
const NOTICE_LEASE_MS = 120_000;

function policyDeps(deps: WorkerDeps): PolicyWorkerDeps {
  if (!deps.policy) throw new Error('policies are not wired into this worker');
  return deps.policy;
}

async function serviceDeps(deps: WorkerDeps): Promise<PolicyDeps> {
  const p = policyDeps(deps);
  return {
    providers: await configuredProviders(deps),
    store: p.store,
    directory: p.directory,
    clock: deps.clock,
    logger: deps.logger,
    timeZone: p.timeZone,
  };
}

async function labels(deps: WorkerDeps): Promise<(vendor: string) => string> {
  const providers = await deps.providers();
  return (vendor) => providers.find((p) => p.vendor === vendor)?.label ?? vendor;
}

function chosen(deps: WorkerDeps, name: string | undefined): Policy[] {
  const p = policyDeps(deps);
  if (p.loadError) throw new PolicyInputError(`No policy runs: the policy file was refused. ${p.loadError}`);
  const all = p.policies;
  if (!name) return [...all];
  const found = all.filter((p) => p.name === name);
  if (found.length === 0)
    throw new PolicyInputError(`There is no policy named ${JSON.stringify(name.slice(0, 40))}.`);
  return found;
}

export class PolicyInputError extends Error {
  override name = 'PolicyInputError';
  userMessage(): string {
    return this.message;
  }
}

/**
 * One run of the policies, as the schedule or `keywarden policy run` asks: plan, apply, post the requests for
 * approval, tell the owners (inline, or in notice jobs when the run is large and a queue is there), and record what
 * it did. `dryRun` plans only.
 */
export async function runPolicies(
  deps: WorkerDeps,
  options: { policy?: string; dryRun: boolean; inlineNotices?: boolean },
): Promise<PolicyRunResult[]> {
  const p = policyDeps(deps);
  const results: PolicyRunResult[] = [];
  for (const policy of chosen(deps, options.policy)) {
    const sdeps = await serviceDeps(deps);
    const plan = await planPolicyRun(policy, sdeps, { dryRun: options.dryRun });
    const channel = policy.approvalsChannel ?? deps.revocation?.approvalsChannel;
    const canEscalate = policy.then === 'request_revocation' && Boolean(channel);
    if (policy.then === 'request_revocation' && !channel)
      deps.logger.error(
        'a policy asks for revocation, but no approvals channel is set: its keys are only reported',
        {
          policy: policy.name,
        },
      );
    if (!options.dryRun) {
      const claim = await p.store.claimRun(plan.runId, RUN_LEASE_MS);
      if (claim === 'done') {
        plan.notes.push('This policy already ran today; nothing more was done.');
        results.push({ plan, dryRun: true, started: 0, requests: [], cleared: 0, escalated: 0 });
        continue;
      }
      if (claim === 'busy') throw new RetryJobError(`policy ${policy.name} is being run by another process`);
    }
    const result = await applyPlan(
      plan,
      sdeps,
      { revocation: await revocationServiceDeps(deps), ttlHours: deps.revocation?.ttlHours ?? 24 },
      { dryRun: options.dryRun || !canEscalate ? options.dryRun : false },
    );
    if (!canEscalate && !options.dryRun) result.requests = [];
    results.push(result);
    if (options.dryRun) continue;
    for (const { request, keys } of result.requests)
      if (channel) await postForApproval(request, keys, deps, channel);
    if (policy.notifyOwner)
      await sendOwnerNotices(plan.policy, plan.runId, plan.notify, deps, options.inlineNotices);
    if (plan.unknownOwners.length && channel) {
      const lines = plan.unknownOwners
        .slice(0, 40)
        .map((g) => `• ${g.ownerEmail ?? '(no owner email)'}: ${g.keys.map((k) => k.name).join(', ')}`);
      await deps.slack
        .postMessage(
          channel,
          noticeMessage(
            `:bust_in_silhouette: Policy *${policy.name}*: ${plan.unknownOwners.length} owner(s) of idle keys have no Slack account, so Keywarden could not ask them. Their keys still go through the grace period; tell them another way.`,
            lines.join('\n').slice(0, 1900),
          ),
        )
        .catch((err: unknown) => deps.logger.error('could not list the owners missing from Slack', { err }));
    }
    await p.store.recordRun(runSummary(result));
    await audit(deps, { type: 'policy.run', subject: { ...runSummary(result) } });
    await p.store.finishRun(plan.runId);
    deps.metrics.count('PolicyRuns');
    deps.metrics.count('KeysEscalated', {}, result.escalated);
    deps.logger.info('policy run', { ...runSummary(result) });
  }
  return results;
}

/** The scheduled run (`policy.run`). */
export async function runPolicyRun(job: RunJob, deps: WorkerDeps): Promise<void> {
  await runPolicies(deps, { policy: job.policy, dryRun: false });
  await postAuditWitness(deps);
}

/**
 * Once a day, the audit chain's head (sequence and hash) goes to the audit channel: a witness outside the database,
 * so a chain rewritten in DynamoDB disagrees with Slack's history (`keywarden audit verify --witness SEQ:HASH`).
 */
export async function postAuditWitness(deps: WorkerDeps): Promise<void> {
  const channel = deps.revocation?.auditChannel;
  const head = await deps.audit?.head();
  if (!deps.audit || !channel || !head) return;
  const at = deps.clock.now().toISOString();
  await deps.slack.postMessage(
    channel,
    noticeMessage(
      `:link: Audit witness ${at.slice(0, 10)}: event ${head.seq}, hash \`${head.hash}\``,
      `Check the trail against it with \`keywarden audit verify --witness ${head.seq}:${head.hash}\`.`,
    ),
  );
  await deps.audit.recordWitness({ seq: head.seq, hash: head.hash, at });
}

/** Owner notices: in notice jobs of `notifyBatch` owners when a queue is wired, otherwise here and now. */
async function sendOwnerNotices(
  policy: Policy,
  runId: string,
  groups: readonly OwnerGroup[],
  deps: WorkerDeps,
  inline = false,
): Promise<void> {
  const batch = policyDeps(deps).notifyBatch ?? 50;
  const owners = groups.filter((g) => g.slackUser && g.ownerEmail);
  if (!inline && deps.queue && owners.length > batch) {
    for (let i = 0; i < owners.length; i += batch) {
      const chunk = owners.slice(i, i + batch);
      await deps.queue.enqueue({
        kind: 'policy.notify',
        id: createHash('sha256').update(`${runId}#notify#${i}`).digest('hex').slice(0, 32),
        policy: policy.name,
        runId,
        owners: chunk.map((g) => ({
          email: g.ownerEmail as string,
          slackUser: g.slackUser as string,
          dueAt: g.dueAt,
          keys: g.keys.map((k) => `${k.vendor}#${k.id}`),
        })),
      });
    }
    return;
  }
  const label = await labels(deps);
  const store = policyDeps(deps).store;
  // Here the run holds its day's claim, so it alone records these notices, in batches: the ones already sent are
  // skipped, the rest are marked as being sent, sent, and recorded with where they landed. A run that dies between
  // a DM and its record sends that DM again when retried, rather than losing it.
  const known = await store.notices(
    runId,
    owners.map((g) => g.ownerEmail as string),
  );
  const todo = owners.filter((g) => known.get(g.ownerEmail as string)?.state !== 'sent');
  const notice = (g: OwnerGroup): OwnerNotice => ({
    runId,
    ownerEmail: g.ownerEmail as string,
    slackUser: g.slackUser as string,
    policy: policy.name,
    keys: g.keys.map((k) => `${k.vendor}#${k.id}`),
    state: 'sending',
  });
  await store.putNotices(todo.map(notice));
  const sent: OwnerNotice[] = [];
  try {
    // DMs go to different channels, so a few at once stay within Slack's per-channel pace; the Web API client
    // waits out any 429 Slack answers.
    await mapLimit(todo, NOTICES_IN_FLIGHT, async (g) => {
      const keys = g.keys.map((key) => ({ key, label: label(key.vendor) }));
      const message = await deps.slack.postMessage(
        g.slackUser as string,
        ownerNotice({ policy, runId, keys, dueAt: g.dueAt, now: deps.clock.now() }),
      );
      sent.push({ ...notice(g), state: 'sent', message });
    });
  } finally {
    deps.metrics.count('OwnersNotified', {}, sent.length);
    await store.putNotices(sent);
  }
}

type NoticeKey = {
  key: Pick<Key, 'vendor' | 'id' | 'name' | 'type' | 'lastUsedAt' | 'createdAt'>;
  label: string;
  cycle?: KeyCycle;
};

/**
 * One owner's DM of one run, behind the store's claim: a second run, or a retried one, sends nothing more. The DM is
 * posted to the owner's user id, which Slack delivers to the bot's DM with them (and answers with that channel), so
 * no `conversations.open` per owner spends a rate-limited method on thousands of people.
 */
async function sendNotice(
  policy: Policy,
  runId: string,
  ownerEmail: string,
  slackUser: string,
  dueAt: string,
  keys: NoticeKey[],
  deps: WorkerDeps,
): Promise<void> {
  const store = policyDeps(deps).store;
  const claim = await store.claimNotice(
    {
      runId,
      ownerEmail,
      slackUser,
      policy: policy.name,
      keys: keys.map((k) => `${k.key.vendor}#${k.key.id}`),
    },
    NOTICE_LEASE_MS,
  );
  if (claim !== 'claimed') return;
  const posted = await deps.slack.postMessage(
    slackUser,
    ownerNotice({ policy, runId, keys, dueAt, now: deps.clock.now() }),
  );
  deps.metrics.count('OwnersNotified');
  await store.noticeSent(runId, ownerEmail, posted);
}

/** A batch of one run's notices, each DM built from the keys' cycles as the run recorded them. */
export async function runPolicyNotify(job: NotifyJob, deps: WorkerDeps): Promise<void> {
  const p = policyDeps(deps);
  const policy = chosen(deps, job.policy)[0] as Policy;
  const label = await labels(deps);
  await mapLimit(job.owners, NOTICES_IN_FLIGHT, async (owner) => {
    const keys: NoticeKey[] = [];
    for (const ref of owner.keys) {
      const [vendor, ...rest] = ref.split('#');
      const cycle = await p.store.cycle(policy.name, vendor as string, rest.join('#'));
      if (!cycle) continue;
      keys.push({ key: cycleKey(cycle), label: label(cycle.vendor) });
    }
    if (keys.length)
      await sendNotice(policy, job.runId, owner.email, owner.slackUser, owner.dueAt, keys, deps);
  });
}

function cycleKey(c: KeyCycle): NoticeKey['key'] {
  return {
    vendor: c.vendor,
    id: c.keyId,
    name: c.keyName,
    type: c.keyType,
    lastUsedAt: c.lastUsedAt,
    createdAt: c.createdAt,
  };
}

/** Re-renders an owner's DM from the current state of each of its keys, so it shows what they answered. */
async function refreshNotice(
  policy: Policy,
  runId: string,
  ownerEmail: string,
  deps: WorkerDeps,
): Promise<void> {
  const p = policyDeps(deps);
  const notice = await p.store.notice(runId, ownerEmail);
  if (!notice?.message) return;
  const label = await labels(deps);
  const keys: NoticeKey[] = [];
  let dueAt = new Date(deps.clock.now().getTime() + policy.graceDays * DAY_MS).toISOString();
  for (const ref of notice.keys) {
    const [vendor, ...rest] = ref.split('#');
    const cycle = await p.store.cycle(policy.name, vendor as string, rest.join('#'));
    if (!cycle) continue;
    if (cycle.runId === runId) dueAt = cycle.dueAt;
    keys.push({
      key: cycleKey(cycle),
      label: label(cycle.vendor),
      cycle: cycle.runId === runId ? cycle : undefined,
    });
  }
  await deps.slack
    .update(
      notice.message.channel,
      notice.message.ts,
      ownerNotice({ policy, runId, keys, dueAt, now: deps.clock.now() }),
    )
    .catch((err: unknown) => deps.logger.warn('could not update an owner notice', { err }));
}

/**
 * Whether the presser is the key's owner: their Slack email (read fresh from Slack) against the owner email the
 * vendor gives. Never from the button.
 */
async function presserOwns(deps: WorkerDeps, user: string, ownerEmail: string | undefined): Promise<boolean> {
  if (!ownerEmail) return false;
  const email = await policyDeps(deps).directory.emailOf(user);
  return Boolean(email) && email?.trim().toLowerCase() === ownerEmail.trim().toLowerCase();
}

/**
 * The key's cycle in its policy, when the presser is the owner the cycle recorded (from the vendor, at notice time);
 * otherwise they are told why, privately, and undefined is returned.
 */
async function ownersCycle(
  job: KeepJob | NotMineJob,
  deps: WorkerDeps,
  replier: Replier,
  refusal: { log: string; tell: string },
): Promise<{ policy: Policy; cycle: KeyCycle } | undefined> {
  const { ref } = job;
  const policy = chosen(deps, ref.p)[0] as Policy;
  const cycle = await policyDeps(deps).store.cycle(ref.p, ref.v, ref.k);
  if (!cycle) {
    await replier.send(
      errorMessage('Keywarden has no record of that key in this policy any more.'),
      privately,
    );
    return undefined;
  }
  if (!(await presserOwns(deps, job.origin.user, cycle.ownerEmail))) {
    deps.logger.warn(refusal.log, { user: job.origin.user, key: ref.k });
    await replier.send(errorMessage(refusal.tell), privately);
    return undefined;
  }
  return { policy, cycle };
}

/** `/keys policy`: what each policy would do now, privately. Nothing is written or sent. */
export async function runPolicyPlan(job: PlanJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  const results = await runPolicies(deps, { policy: job.policy, dryRun: true });
  await replier.send(planMessage(results, await labels(deps)));
}

/** "Keep it", submitted: the owner keeps their key for a period, with a reason, recorded as an exemption. */
export async function runKeep(job: KeepJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  const p = policyDeps(deps);
  const { ref } = job;
  const owned = await ownersCycle(job, deps, replier, {
    log: 'refused "keep" from someone who is not the key owner',
    tell: 'Only the key’s owner can keep it.',
  });
  if (!owned) return;
  const { policy, cycle } = owned;
  const now = deps.clock.now();
  const until = new Date(now.getTime() + job.days * DAY_MS).toISOString();
  if (cycle.state === 'kept' && (cycle.keptUntil ?? '') > now.toISOString()) {
    await replier.send(
      noticeMessage(`You are already keeping it until ${cycle.keptUntil?.slice(0, 10)}.`),
      privately,
    );
    return;
  }
  await p.store.grantExemption({
    vendor: ref.v,
    keyId: ref.k,
    keyName: cycle.keyName,
    until,
    grantedBy: job.origin.user,
    reason: job.reason,
    grantedAt: now.toISOString(),
    via: 'owner',
  });
  await p.store.keep(ref.p, ref.v, ref.k, until);
  deps.logger.info('owner kept a key', { policy: ref.p, vendor: ref.v, key: ref.k, until });
  await audit(deps, {
    type: 'exemption.granted',
    actor: { user: job.origin.user, team: job.origin.team },
    subject: { vendor: ref.v, key: ref.k, until, reason: job.reason, via: 'owner', policy: ref.p },
  });
  if (cycle.ownerEmail) await refreshNotice(policy, ref.r, cycle.ownerEmail, deps);
}

/**
 * "Revoke it now": the owner gives up their own key. Only where the policy allows it, only the key's owner by the
 * vendor's own record, and through the same exactly-once execution as approved requests.
 */
export async function runSelfRevoke(job: SelfRevokeJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  const p = policyDeps(deps);
  const { ref } = job;
  const policy = chosen(deps, ref.p)[0] as Policy;
  if (!policy.ownerMayRevoke) {
    await replier.send(
      errorMessage(`Policy ${policy.name} does not let owners revoke their own keys; ask an admin.`),
      privately,
    );
    return;
  }
  const provider = (await deps.providers()).find((x) => x.vendor === ref.v);
  const cycle = await p.store.cycle(ref.p, ref.v, ref.k);
  if (!provider || !cycle) {
    await replier.send(
      errorMessage('Keywarden has no record of that key in this policy any more.'),
      privately,
    );
    return;
  }
  const rdeps = await revocationServiceDeps(deps);
  const current = await provider.currentKeys(
    [{ vendor: ref.v, id: ref.k, ownerId: cycle.ownerId }],
    {},
    {
      deadline: Deadline.after(60_000, deps.clock),
      meter: newMeter(),
    },
  );
  const key = current.get(ref.k);
  if (!key) {
    await replier.send(noticeMessage('That key is already gone; nothing to revoke.'), privately);
    await p.store.clear(ref.p, ref.v, ref.k, 'gone');
    if (cycle.ownerEmail) await refreshNotice(policy, ref.r, cycle.ownerEmail, deps);
    return;
  }
  if (!(await presserOwns(deps, job.origin.user, key.owner.email))) {
    deps.logger.warn('refused a self-revocation from someone who is not the key owner', {
      user: job.origin.user,
      vendor: ref.v,
      key: ref.k,
    });
    await replier.send(
      errorMessage('Only the key’s owner can revoke it from here. Nothing was revoked.'),
      privately,
    );
    return;
  }
  const channel = policy.approvalsChannel ?? deps.revocation?.approvalsChannel;
  const [created] = await createRequests(
    { kind: 'keys', refs: [{ vendor: ref.v, id: ref.k, ownerId: key.owner.id }] },
    {
      requester: `policy:${policy.name}`,
      policy: policy.name,
      reason: 'Given up by its owner from a policy notice.',
      ttlHours: 1,
      idFor: (vendor) => policyRequestId(ref.r, vendor, `self:${ref.k}`),
      approvalsNeeded: 1,
      selfService: true,
    },
    rdeps,
  );
  if (!created) return;
  // The approvals channel sees it too, as a record: the owner is the one approver.
  if (channel) await postForApproval(created.request, created.keys, deps, channel);
  const decision = await decide(rdeps.store, created.request.id, job.origin.user, 'approve');
  await audit(deps, {
    type: 'request.self_service',
    actor: { user: job.origin.user, team: job.origin.team },
    subject: {
      request: created.request.id,
      vendor: ref.v,
      key: ref.k,
      policy: ref.p,
      decision: decision.kind,
    },
  });
  if (decision.kind === 'approved') deps.metrics.count('RevocationsApproved');
  if (decision.kind === 'refused' && decision.why !== 'already') {
    await replier.send(
      errorMessage(`${created.request.id} could not be carried out (${decision.why}).`),
      privately,
    );
    return;
  }
  await execute(created.request.id, deps, async (m) => {
    await replier.send(m, privately);
  });
  await p.store.clear(ref.p, ref.v, ref.k, `revoked by its owner (${created.request.id})`);
  if (cycle.ownerEmail) await refreshNotice(policy, ref.r, cycle.ownerEmail, deps);
}

/** "Not mine": a possible rogue authenticator. The alert must reach the security team; a failure is retried. */
export async function runNotMine(job: NotMineJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  const p = policyDeps(deps);
  const { ref } = job;
  const owned = await ownersCycle(job, deps, replier, {
    log: 'refused "not mine" from someone the key is not registered to',
    tell: 'That key is not registered to you.',
  });
  if (!owned) return;
  const { policy, cycle } = owned;
  const first = await p.store.markNotMine(ref.p, ref.v, ref.k, job.origin.user);
  const marked = await p.store.cycle(ref.p, ref.v, ref.k);
  if (!first && marked?.notMineAlertedAt) {
    await replier.send(noticeMessage('You already reported this key; the security team has it.'), privately);
    return;
  }
  const channel = p.securityChannel ?? policy.approvalsChannel ?? deps.revocation?.approvalsChannel;
  if (!channel) {
    deps.logger.error('a key was reported as not its owner’s, and no security or approvals channel is set', {
      vendor: ref.v,
      key: ref.k,
    });
    throw new RetryJobError('no channel for a security alert');
  }
  const label = (await labels(deps))(ref.v);
  const key: Key = {
    ...cycleKey(cycle),
    owner: { id: cycle.ownerId, email: cycle.ownerEmail },
    uses: null,
    status: 'active',
  } as Key;
  try {
    await deps.slack.postMessage(
      channel,
      notMineAlert({ reporter: job.origin.user, key, label, policy: policy.name, now: deps.clock.now() }),
    );
  } catch (err) {
    deps.logger.error('could not post a security alert; it will be retried', { err });
    throw new RetryJobError('the security alert could not be posted');
  }
  await p.store.markNotMineAlerted(ref.p, ref.v, ref.k);
  await audit(deps, {
    type: 'owner.not_mine',
    actor: { user: job.origin.user, team: job.origin.team },
    subject: { vendor: ref.v, key: ref.k, policy: ref.p },
  });
  deps.logger.warn('key reported as not its owner’s', {
    policy: ref.p,
    vendor: ref.v,
    key: ref.k,
    by: job.origin.user,
  });
  if (cycle.ownerEmail) await refreshNotice(policy, ref.r, cycle.ownerEmail, deps);
  await replier.send(
    noticeMessage(':rotating_light: Thank you. The security team has been alerted.'),
    privately,
  );
}

/** `/keys exempt`: an admin keeps a key out of revocation until a date, with a reason. */
export async function runGrant(job: GrantJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  const p = policyDeps(deps);
  const now = deps.clock.now();
  const until = new Date(now.getTime() + job.days * DAY_MS).toISOString();
  await p.store.grantExemption({
    vendor: job.vendor,
    keyId: job.keyId,
    until,
    grantedBy: job.origin.user,
    reason: job.reason,
    grantedAt: now.toISOString(),
    via: 'admin',
  });
  deps.logger.info('exemption granted', { vendor: job.vendor, key: job.keyId, until, by: job.origin.user });
  await audit(deps, {
    type: 'exemption.granted',
    actor: { user: job.origin.user, team: job.origin.team },
    subject: { vendor: job.vendor, key: job.keyId, until, reason: job.reason, via: 'admin' },
  });
  await replier.send(
    noticeMessage(
      `:white_check_mark: ${job.vendor}:${job.keyId} is exempt until ${until.slice(0, 10)}: left out of stale revocations and policy escalation.`,
    ),
  );
}

export async function runListExemptions(_job: ListJob, deps: WorkerDeps, replier: Replier): Promise<void> {
  const p = policyDeps(deps);
  await replier.send(exemptionsMessage(await p.store.exemptions(), deps.clock.now(), await labels(deps)));
}
