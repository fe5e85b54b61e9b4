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
  /** Who reported it as not theirs, and when the security team was alerted. */
  notMineBy?: string;
  notMineAlertedAt?: string;
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

/** A per-owner notice of one run: claimed before the DM is sent, so a second run sends none. */
export interface OwnerNotice {
  runId: string;
  ownerEmail: string;
  state: 'sending' | 'sent';
  leaseUntil?: number;
  /** Where the DM landed, so it can be updated in place as the owner answers. */
  message?: { channel: string; ts: string };
  slackUser: string;
  policy: string;
  /** The keys it lists, as `vendor#keyId`. */
  keys: string[];
}

/** The lifecycle's state, as the use cases see it (store/policy.ts implements it on DynamoDB). */
export interface PolicyStore {
  cycles(policy: string): Promise<KeyCycle[]>;
  cycle(policy: string, vendor: VendorId, keyId: string): Promise<KeyCycle | undefined>;
  /**
   * Starts a key's cycle: written only when the key has none, or its last one was cleared, or its keep ran out. False
   * when another run (or a retried one) got there first.
   */
  startCycle(cycle: KeyCycle): Promise<boolean>;
  /** notified → kept, until a date. */
  keep(policy: string, vendor: VendorId, keyId: string, until: string): Promise<boolean>;
  /** notified (due) → escalated into a request. */
  escalate(policy: string, vendor: VendorId, keyId: string, requestId: string): Promise<boolean>;
  /** notified | kept → cleared, with why. */
  clear(policy: string, vendor: VendorId, keyId: string, why: string): Promise<boolean>;
  /** Marks that the owner said "not mine": true only the first time. */
  markNotMine(policy: string, vendor: VendorId, keyId: string, by: string): Promise<boolean>;
  /** Records that the security alert went out. */
  markNotMineAlerted(policy: string, vendor: VendorId, keyId: string): Promise<void>;

  grantExemption(exemption: Exemption): Promise<void>;
  exemptions(): Promise<Exemption[]>;

  /** `claimed`: send the DM now; `sent`: it went already; `busy`: another run is sending it. */
  claimNotice(notice: Omit<OwnerNotice, 'state'>, leaseMs: number): Promise<'claimed' | 'sent' | 'busy'>;
  noticeSent(runId: string, ownerEmail: string, message: { channel: string; ts: string }): Promise<void>;
  notice(runId: string, ownerEmail: string): Promise<OwnerNotice | undefined>;

  /**
   * Takes a policy's run of the day: `claimed` (go ahead), `done` (it already ran today), `busy` (another process is
   * running it now). The lease lapses if its holder dies, so a retried run takes it over.
   */
  claimRun(runId: string, leaseMs: number): Promise<'claimed' | 'done' | 'busy'>;
  finishRun(runId: string): Promise<void>;
  /**
   * Starts cycles for keys that had none, in batches. Only for the holder of the run's claim: no other run writes
   * them at the same time, and nobody can act on a cycle that does not exist yet.
   */
  startNewCycles(cycles: readonly KeyCycle[]): Promise<void>;
  /** The run's notices for these owners, where they exist. */
  notices(runId: string, ownerEmails: readonly string[]): Promise<Map<string, OwnerNotice>>;
  /** Writes notices in batches (the run's claim holder only). */
  putNotices(notices: readonly OwnerNotice[]): Promise<void>;
  recordRun(summary: PolicyRunSummary): Promise<void>;
  lastRuns(limit: number): Promise<PolicyRunSummary[]>;
}

/** What one policy run did, kept for the App Home and for `/keys policy`. */
export interface PolicyRunSummary {
  policy: string;
  runId: string;
  at: string;
  dryRun: boolean;
  matched: number;
  notified: number;
  owners: number;
  escalated: number;
  cleared: number;
  skipped: number;
  requests: string[];
}
