import type { Key } from './provider.js';
import type { VendorId } from './vendors.js';

/**
 * What the App Home shows without asking a vendor: posture counts kept from the scans and digests that already run,
 * each person's own keys as last looked up, and which Slack events were already handled.
 */
export interface PostureSnapshot {
  vendor: VendorId;
  label: string;
  /** The day (YYYY-MM-DD, UTC) it was measured. */
  date: string;
  /** The idle threshold the counts are for. */
  days: number;
  stale: number;
  neverUsed: number;
  /** When the counts were true: the scan's time, or the inventory's last refresh when they were read from it. */
  at: string;
  fromInventory?: boolean;
}

export interface MyKeysSnapshot {
  user: string;
  email?: string;
  keys: Key[];
  /** Vendors that could not be asked, by label. */
  failed: string[];
  /** Keys in a policy's cycle waiting for the owner's answer: the owner's buttons are shown for these. */
  cycles: Array<{ vendor: VendorId; keyId: string; policy: string; runId: string; ownerMayRevoke: boolean }>;
  at: string;
}

export interface HomeStore {
  recordPosture(snapshots: readonly PostureSnapshot[]): Promise<void>;
  /** Snapshots of the last `weeks` weeks, oldest first. */
  posture(weeks: number): Promise<PostureSnapshot[]>;
  putMyKeys(snapshot: MyKeysSnapshot): Promise<void>;
  myKeys(user: string): Promise<MyKeysSnapshot | undefined>;
  /** True the first time an event id is seen (within a day); Slack's retries of it are false. */
  firstDelivery(eventId: string): Promise<boolean>;
}
