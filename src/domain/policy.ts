import type { KeyType, VendorId } from './vendors.js';

/**
 * The credential-hygiene lifecycle: policies find idle keys, each key's owner is asked, and what nobody claims after
 * the grace period goes to two approvers. Policies are code (infra/policies.yml, validated at start-up); the state
 * of each key in a policy's cycle lives in the store and moves only by conditional writes.
 */
export interface Policy {
  name: string;
  /** The vendors it covers; every configured vendor when absent. */
  vendors?: VendorId[];
  /** The key types it covers; every type when absent. */
  types?: KeyType[];
  /** A key is idle when its last use is older than this many days. */
  idleDays: number;
  /** A never-used key is idle once it was registered longer ago than this many days. */
  neverUsedGraceDays: number;
  exclude: {
    /** Owner emails, or globs such as `*@contractors.example` (case-insensitive). */
    owners: string[];
    /** IDmelon group names whose members' keys are left alone. */
    groups: string[];
    /** Key name globs (`break-glass-*`). */
    keyNames: string[];
  };
  /** Whether each owner is asked in Slack before anything else happens. */
  notifyOwner: boolean;
  /** Days between the owner's notice and escalation. */
  graceDays: number;
  /** `request_revocation`: unclaimed keys go to two approvers; `report`: the run only reports. */
  then: 'request_revocation' | 'report';
  /** Whether an owner may give up their own key from the notice ("Revoke it now"). */
  ownerMayRevoke: boolean;
  /** Where this policy's requests are posted; KEYWARDEN_APPROVALS_CHANNEL when absent. */
  approvalsChannel?: string;
  /** Slack user ids who may approve this policy's requests; KEYWARDEN_APPROVERS when absent. */
  approvers?: string[];
}

/** Where a key stands in a policy's cycle. */
export type CycleState = 'notified' | 'kept' | 'escalated' | 'cleared';

export interface KeyCycle {
  policy: string;
  vendor: VendorId;
  keyId: string;
  keyName: string;
  keyType: string;
  ownerEmail?: string;
  ownerId?: string;
  /** The owner's Slack user, when the directory knew them. */
  ownerSlackId?: string;
  state: CycleState;
  /** When the owner was told (or, with `notify_owner: false`, when the key was first found idle). */
  notifiedAt: string;
  /** When the key goes to approval if still idle and not kept. */
  dueAt: string;
  /** The key's last use when it was noticed: a later use clears it. */
  lastUsedAt: string | null | undefined;
  createdAt?: string;
  keptUntil?: string;
  requestId?: string;
  clearedWhy?: string;
  /** The cycle's run that noticed it (policy and date): a second run the same day changes nothing. */
  runId: string;
}

/** One key left out of revocation until a date, with who decided and why. */
export interface Exemption {
  vendor: VendorId;
  keyId: string;
  keyName?: string;
  until: string;
  grantedBy: string;
  reason: string;
  grantedAt: string;
  /** Where it came from: an owner's "Keep it", or an admin's `/keys exempt`. */
  via: 'owner' | 'admin';
}

/** Slack people by email, from a paged, cached directory read (never one lookup per owner). */
export interface SlackDirectory {
  /** Slack user ids by lower-cased email, for those of `emails` that have a Slack account. */
  usersByEmail(emails: readonly string[]): Promise<Map<string, string>>;
  /** The email of a Slack user, for deciding whether they own a key; undefined when Slack has none. */
  emailOf(userId: string): Promise<string | undefined>;
}
