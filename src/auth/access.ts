import { type Clock, systemClock } from '../domain/clock.js';
import type { Logger } from '../log.js';

/** Who may do something: listed user ids, and/or the members of one Slack user group. */
export interface Audience {
  users: readonly string[];
  group?: string;
}

export type AccessDecision = { allowed: true } | { allowed: false; reason: string };

export interface GroupMembers {
  userGroupMembers(groupId: string): Promise<string[]>;
}

export interface AccessPolicyOptions {
  /** How long a group's member list is trusted. @default 60_000 */
  ttlMs?: number;
  /** Time, for TTLs and leases. @default the system clock */
  clock?: Clock;
}

/**
 * Decides whether a Slack user belongs to an audience. Group membership is read from Slack and cached briefly;
 * if Slack cannot be asked, the answer is no (fail closed) with a reason the user can act on.
 */
export class AccessPolicy {
  private readonly cache = new Map<string, { members: Set<string>; at: number }>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly groups: GroupMembers,
    private readonly logger: Logger,
    options: AccessPolicyOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    const clock = options.clock ?? systemClock;
    this.now = () => clock.now().getTime();
  }

  async check(userId: string, audience: Audience, label: string): Promise<AccessDecision> {
    if (audience.users.includes(userId)) return { allowed: true };
    if (!audience.group) {
      if (audience.users.length === 0) return { allowed: false, reason: `No ${label} are configured yet.` };
      return { allowed: false, reason: `Only Keywarden's ${label} can do this.` };
    }
    try {
      if ((await this.members(audience.group)).has(userId)) return { allowed: true };
      return { allowed: false, reason: `Only Keywarden's ${label} can do this.` };
    } catch (err) {
      this.logger.error('could not read user group members', { group: audience.group, err });
      return {
        allowed: false,
        reason: `Keywarden could not check the ${label} group in Slack just now; try again in a minute.`,
      };
    }
  }

  private async members(group: string): Promise<Set<string>> {
    const hit = this.cache.get(group);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.members;
    const members = new Set(await this.groups.userGroupMembers(group));
    this.cache.set(group, { members, at: this.now() });
    return members;
  }
}
