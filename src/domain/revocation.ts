import { randomBytes } from 'node:crypto';
import type { VendorId } from './vendors.js';

/**
 * Revocation requests: what a request is, the states it moves through (the diagram and the conditional writes
 * are in store/requests.ts) and each key's outcome.
 */

export type RequestState = 'pending' | 'approved' | 'executing' | 'done' | 'denied' | 'expired';

export type KeyOutcome = 'deleted' | 'already_gone' | 'used_since_request' | 'failed' | 'would_delete';

/** What a request claims about its keys, checked against each key when the request is made and again before deletion. */
export type RequestCriterion =
  /** Last use before `thresholdDays` ago, or never used (vendors that record use). */
  | 'unused'
  /** Created before `thresholdDays` ago and still active: the vendor records no use (Solvimon). */
  | 'created'
  /** No idle claim: a key picked by hand (from a user lookup); only its existence is checked. */
  | 'exists';
/** The longest reason a person may give for a request or a denial; every message shows it whole. */
export const MAX_REASON_LENGTH = 500;

/** Outcomes after which a key is never touched again. */
export const FINAL_OUTCOMES: readonly KeyOutcome[] = [
  'deleted',
  'already_gone',
  'used_since_request',
  'would_delete',
];

export interface RequestedKey {
  vendor: VendorId;
  id: string;
  name: string;
  type: string;
  ownerId?: string;
  ownerEmail?: string;
  ownerName?: string;
  /** Last use when the request was made; null if never used; absent where the vendor does not track use. */
  lastUsedAt?: string | null;
  createdAt?: string;
  outcome?: KeyOutcome;
  detail?: string;
  attempt?: number;
}

export interface RevocationRequest {
  id: string;
  state: RequestState;
  /** A Slack user id, or `policy:<name>` for a request a policy raised. */
  requester: string;
  /** The policy that raised it, when one did. */
  policy?: string;
  /**
   * How many different approvers it takes. A request a person made takes one (the requester is the first person); a
   * request a policy raised takes two.
   */
  approvalsNeeded?: 1 | 2;
  /** The first of two approvers, while the second is awaited. */
  firstApprover?: string;
  firstApprovedAt?: string;
  /** Who may approve this request, when its policy names them; otherwise the configured approvers. */
  approvers?: string[];
  /** Given up by the key's own owner, where the policy allows it: the owner is the approver. */
  selfService?: boolean;
  /** The stale threshold in days, when the request came from a stale list. */
  thresholdDays?: number;
  /** What was verified of every key when the request was made; absent on requests that predate it. */
  criterion?: RequestCriterion;
  /** When Keywarden read every key from the vendor to verify the criterion. */
  verifiedAt?: string;
  /** Keys left out when the request was made because they no longer met the criterion, with why. */
  dropped?: Array<{ id: string; name: string; why: string }>;
  reason?: string;
  keyCount: number;
  vendors: VendorId[];
  /** How the request's vendor is named to people, as its adapter said when the request was made. */
  vendorLabel?: string;
  createdAt: string;
  /** After this instant a pending request can no longer be approved. */
  validUntil: string;
  dryRun: boolean;
  message?: { channel: string; ts: string };
  origin?: { channel: string; user: string };
  approver?: string;
  approvedAt?: string;
  deniedBy?: string;
  deniedAt?: string;
  /** Why the approver denied it, as they typed it. */
  denyReason?: string;
  expiredAt?: string;
  attempt: number;
  leaseUntil?: number;
  lastError?: string;
  /** When an execution last handed the request back (a slice ran out, or a vendor failed). */
  yieldedAt?: string;
  /** When the current or last execution started its time slice. */
  executionStartedAt?: string;
  completedAt?: string;
  summary?: Record<KeyOutcome, number>;
}

export type Transition<T = RevocationRequest> =
  | { ok: true; request: T }
  | {
      ok: false;
      request: RevocationRequest | undefined;
      reason: 'not_found' | 'self' | 'expired' | 'state' | 'same_approver';
    };

/** Short ids people can read aloud: R- and 8 characters of Crockford base32. */
export function newRequestId(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const bytes = randomBytes(8);
  return `R-${Array.from(bytes, (b) => alphabet[b % 32]).join('')}`;
}

/**
 * The revocation state machine's store, as the use cases see it (store/requests.ts implements it on DynamoDB). Every
 * transition is one conditional write; `attempt` fences an execution whose lease was taken over.
 */
export interface RevocationStore {
  /** How long an execution holds its lease; a time slice must end well inside it. */
  readonly leaseDurationMs: number;
  create(
    input: Omit<RevocationRequest, 'state' | 'attempt' | 'keyCount' | 'vendors' | 'createdAt'> & {
      keys: RequestedKey[];
    },
  ): Promise<RevocationRequest>;
  get(id: string): Promise<RevocationRequest | undefined>;
  keys(id: string): Promise<RequestedKey[]>;
  setMessage(id: string, message: { channel: string; ts: string }): Promise<void>;
  approve(id: string, approver: string): Promise<Transition>;
  deny(id: string, denier: string, reason?: string): Promise<Transition>;
  expire(id: string): Promise<Transition>;
  claimExecution(id: string): Promise<Transition>;
  renewLease(id: string, attempt: number): Promise<boolean>;
  markSent(id: string, attempt: number, batch: number, keys: readonly RequestedKey[]): Promise<void>;
  sentKeys(id: string): Promise<Set<string>>;
  recordOutcome(
    id: string,
    attempt: number,
    key: RequestedKey,
    outcome: KeyOutcome,
    detail?: string,
  ): Promise<boolean>;
  release(id: string, attempt: number, error: string): Promise<boolean>;
  yieldExecution(id: string, attempt: number): Promise<boolean>;
  finish(id: string, attempt: number, summary: Record<KeyOutcome, number>): Promise<Transition>;
  listOpen(): Promise<Array<Pick<RevocationRequest, 'id' | 'state' | 'createdAt'>>>;
}
