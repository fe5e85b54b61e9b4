import { Deadline, newMeter } from '../../domain/deadline.js';
import type { MyKeysSnapshot } from '../../domain/home.js';
import type { Key } from '../../domain/provider.js';
import type { WorkerDeps } from '../../jobs/deps.js';
import type { Job } from '../../jobs/job.js';
import { homeView } from './blocks.js';
import { homeData } from './data.js';

type RefreshJob = Job & { kind: 'home.refresh' };

/**
 * The viewer's own keys, matched by their Slack email (read from Slack now, not from the payload): every vendor's
 * users with exactly that email, and their keys. Nobody else's keys are ever looked up here.
 */
async function lookUpMyKeys(user: string, deps: WorkerDeps): Promise<MyKeysSnapshot> {
  const at = deps.clock.now().toISOString();
  let email: string | undefined;
  try {
    email = (await deps.policy?.directory.emailOf(user))?.trim().toLowerCase();
  } catch (err) {
    // Slack does not know them (or will not say): their Home says it cannot tell which keys are theirs.
    deps.logger.warn('could not read a person’s email for their Home', { user, err });
  }
  const snapshot: MyKeysSnapshot = { user, email, keys: [], failed: [], cycles: [], at };
  if (!email) return snapshot;
  const providers = await deps.providers();
  await Promise.all(
    providers.map(async (p) => {
      const ctx = { deadline: Deadline.after(30_000, deps.clock), meter: newMeter() };
      try {
        const users = (await p.findUsers(email, ctx)).filter((u) => u.email?.trim().toLowerCase() === email);
        for (const u of users) {
          const profile = await p.userProfile(u.id, ctx);
          snapshot.keys.push(
            ...profile.keys.filter((k: Key) => (k.owner.email ?? email).toLowerCase() === email),
          );
        }
      } catch (err) {
        deps.logger.warn('could not look up a person’s keys for their Home', { vendor: p.vendor, err });
        snapshot.failed.push(p.label);
      }
    }),
  );
  const policy = deps.policy;
  if (policy && !policy.loadError) {
    for (const pol of policy.policies) {
      for (const k of snapshot.keys) {
        const c = await policy.store.cycle(pol.name, k.vendor, k.id);
        if (c?.state === 'notified')
          snapshot.cycles.push({
            vendor: k.vendor,
            keyId: k.id,
            policy: pol.name,
            runId: c.runId,
            ownerMayRevoke: pol.ownerMayRevoke,
          });
      }
    }
  }
  return snapshot;
}

/** Publishes a person's Home from what is stored (after they acted on it), without asking any vendor. */
export async function publishStoredHome(user: string, deps: WorkerDeps): Promise<void> {
  const home = deps.home;
  if (!home) return;
  try {
    await deps.slack.publishView(user, homeView(await homeData(sourcesOf(deps, home), user)));
  } catch (err) {
    deps.logger.warn('could not publish the Home again', { user, err });
  }
}

function sourcesOf(deps: WorkerDeps, home: NonNullable<WorkerDeps['home']>) {
  return {
    access: home.access,
    admins: home.admins,
    approvers: deps.revocation?.approvers ?? { users: [] },
    home: home.store,
    requests: deps.revocation?.store,
    policy: deps.policy?.store,
    policies: deps.policy?.policies ?? [],
    now: deps.clock.now(),
  };
}

/** Refreshes a person's keys, then publishes their Home again with everything. */
export async function runHomeRefresh(job: RefreshJob, deps: WorkerDeps): Promise<void> {
  const home = deps.home;
  if (!home) return;
  const previous = await home.store.myKeys(job.user);
  const fresh = await lookUpMyKeys(job.user, deps);
  // A vendor that could not be asked keeps its last known keys.
  if (previous && fresh.failed.length) {
    const failedVendors = new Set(
      (await deps.providers()).filter((p) => fresh.failed.includes(p.label)).map((p) => p.vendor),
    );
    fresh.keys.push(...previous.keys.filter((k) => failedVendors.has(k.vendor)));
  }
  await home.store.putMyKeys(fresh);
  await deps.slack.publishView(job.user, homeView(await homeData(sourcesOf(deps, home), job.user)));
}
