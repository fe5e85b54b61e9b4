import type { AccessPolicy, Audience } from '../../auth/access.js';
import { DAY_MS } from '../../domain/clock.js';
import type { HomeStore, MyKeysSnapshot, PostureSnapshot } from '../../domain/home.js';
import type { Exemption, Policy, PolicyRunSummary, PolicyStore } from '../../domain/policy.js';
import type { RevocationRequest, RevocationStore } from '../../domain/revocation.js';

/**
 * Everything a person's Home shows, read from what is stored: no vendor is asked here, so the Home is published
 * within Slack's 3 seconds. The slow part (the viewer's own keys) comes from the last lookup and is refreshed by a
 * job that publishes again.
 */
export interface HomeSources {
  access: AccessPolicy;
  admins: Audience;
  approvers: Audience;
  home: HomeStore;
  requests?: Pick<RevocationStore, 'listOpen' | 'get'>;
  policy?: Pick<PolicyStore, 'exemptions' | 'lastRuns'>;
  policies: readonly Policy[];
  now: Date;
  /** Reads every Home shares (requests, posture, exemptions, runs), kept for a few seconds across Homes. */
  shared?: SharedReads;
}

/**
 * The parts of a Home that are the same for everyone, read once for a burst of people opening it together (a
 * channel announcement, Monday morning) instead of once each. Kept `ttlMs`; a Home published right after someone
 * acted reads afresh.
 */
export class SharedReads {
  private readonly cached = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs = 5_000,
  ) {}

  get<T>(key: string, read: () => Promise<T>): Promise<T> {
    const hit = this.cached.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value as Promise<T>;
    const value = read();
    this.cached.set(key, { at: this.now(), value });
    value.catch(() => this.cached.delete(key));
    return value;
  }
}

export interface HomeData {
  user: string;
  isAdmin: boolean;
  isApprover: boolean;
  /** Pending requests this person may approve (not theirs, not already approved by them). */
  waiting: RevocationRequest[];
  /** Requests this person made that are still open. */
  mine: RevocationRequest[];
  posture: PostureSnapshot[];
  expiring: Exemption[];
  runs: PolicyRunSummary[];
  policies: readonly Policy[];
  myKeys?: MyKeysSnapshot;
  now: Date;
}

/** Open requests shown at most, newest first. */
const MAX_REQUESTS = 15;

export async function homeData(sources: HomeSources, user: string): Promise<HomeData> {
  const shared = <T>(key: string, read: () => Promise<T>) =>
    sources.shared ? sources.shared.get(key, read) : read();
  const [admin, approver] = await Promise.all([
    sources.access.check(user, sources.admins, 'admins'),
    sources.access.check(user, sources.approvers, 'approvers'),
  ]);
  const isAdmin = admin.allowed;
  const isApprover = approver.allowed;
  const now = sources.now;
  const data: HomeData = {
    user,
    isAdmin,
    isApprover,
    waiting: [],
    mine: [],
    posture: [],
    expiring: [],
    runs: [],
    policies: isAdmin ? sources.policies : [],
    now,
  };
  const tasks: Array<Promise<unknown>> = [
    sources.home.myKeys(user).then((k) => {
      data.myKeys = k;
    }),
  ];
  if ((isAdmin || isApprover) && sources.requests) {
    const requests = sources.requests;
    tasks.push(
      (async () => {
        const full = await shared('requests', async () => {
          const open = (await requests.listOpen())
            .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
            .slice(0, MAX_REQUESTS * 2);
          return (await Promise.all(open.map((r) => requests.get(r.id)))).filter(
            (r): r is RevocationRequest => r !== undefined,
          );
        });
        data.mine = full.filter((r) => r.requester === user).slice(0, MAX_REQUESTS);
        if (isApprover) {
          data.waiting = full
            .filter(
              (r) =>
                r.state === 'pending' &&
                r.requester !== user &&
                r.firstApprover !== user &&
                Date.parse(r.validUntil) > now.getTime() &&
                (!r.approvers?.length || r.approvers.includes(user)),
            )
            .slice(0, MAX_REQUESTS);
        }
      })(),
    );
  }
  if (isAdmin) {
    tasks.push(
      shared('posture', () => sources.home.posture(6)).then((p) => {
        data.posture = p;
      }),
    );
    if (sources.policy) {
      const policy = sources.policy;
      tasks.push(
        shared('exemptions', () => policy.exemptions()).then((all) => {
          const soon = now.getTime() + 14 * DAY_MS;
          data.expiring = all
            .filter((e) => Date.parse(e.until) > now.getTime() && Date.parse(e.until) <= soon)
            .sort((a, b) => a.until.localeCompare(b.until));
        }),
        shared('runs', () => policy.lastRuns(10)).then((r) => {
          data.runs = r;
        }),
      );
    }
  }
  await Promise.all(tasks);
  return data;
}
