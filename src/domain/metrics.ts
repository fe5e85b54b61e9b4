/**
 * The metrics port: what Keywarden counts and times, by name and a few dimensions. On Lambda it becomes CloudWatch
 * metrics (EMF log lines, src/aws/emf-metrics.ts); tests and the local bot count nowhere by default.
 *
 * Dimensions name a small, fixed set of things (a job kind, a vendor, an outcome), never a person, a key or a
 * request: each distinct combination is a metric of its own in CloudWatch.
 */
export type MetricName =
  /** A slash command or button press handed to the worker. Dimension: `kind` (the job's kind). */
  | 'Commands'
  /** A job the worker ran. Dimensions: `kind`, `outcome` (answered, failed, duplicate, busy, retried). */
  | 'Jobs'
  /** One HTTP attempt to a vendor's API, retries included. Dimension: `vendor`. */
  | 'VendorRequests'
  /** A vendor answered 429. Dimension: `vendor`. */
  | 'VendorRateLimited'
  /** A vendor answered 5xx. Dimension: `vendor`. */
  | 'VendorServerErrors'
  /** A revocation request recorded (from a command, a policy or an owner giving up a key). */
  | 'RevocationsRequested'
  /** A revocation request approved, and so on its way to being carried out. */
  | 'RevocationsApproved'
  /** Keys the vendor confirmed deleted. Dimension: `vendor`. */
  | 'KeysRevoked'
  /** A revocation that stopped part-way and waits to be retried. */
  | 'RevocationsFailed'
  /** A run of the scheduled weekly digest. Dimension: `outcome` (posted, duplicate, failed). */
  | 'DigestRuns'
  /** A policy applied for the day (not a dry run, not a repeat of a run already done). */
  | 'PolicyRuns'
  /** An owner sent a policy notice by direct message. */
  | 'OwnersNotified'
  /** Keys a policy run put up for revocation. */
  | 'KeysEscalated';

export type DurationName =
  /** How long the worker took over one job, in milliseconds. Dimension: `kind`. */
  'JobDuration';

export type Dimensions = Readonly<Record<string, string>>;

export interface Metrics {
  /** Adds `value` (1 by default) to a count. */
  count(name: MetricName, dimensions?: Dimensions, value?: number): void;
  /** Records one duration, in milliseconds. */
  duration(name: DurationName, ms: number, dimensions?: Dimensions): void;
}

/** Counts nothing: the default where no metrics are wired (tests, the local bot, the CLI). */
export const noMetrics: Metrics = { count() {}, duration() {} };
