import { createHash } from 'node:crypto';
import * as z from 'zod';
import { MAX_DAYS, MAX_QUERY_LENGTH, MIN_DAYS } from '../commands/grammar.js';
import { KEY_TYPE_PATTERN, VENDOR_ID_PATTERN } from '../domain/vendors.js';
import { isUnsafeId } from '../http/path.js';
import { logContext } from '../util/log-context.js';

/** A vendor or key type by name; whether Keywarden has it is checked where the work is done. */
const vendorName = z.string().regex(VENDOR_ID_PATTERN);
const keyTypeName = z.string().regex(KEY_TYPE_PATTERN);

/**
 * Work handed from the Slack function to the worker (through SQS on Lambda, in-process locally). Validated again
 * on the worker side: a queue message is input like any other.
 */
const origin = z.object({
  user: z.string().min(1),
  channel: z.string().min(1),
  team: z.string().optional(),
  responseUrl: z.url().optional(),
  /** When Slack issued the response_url (it works for 30 minutes). */
  issuedAt: z.number().int().positive(),
});
export type JobOrigin = z.infer<typeof origin>;

/** A vendor id that stays one URL path segment (see http/path.ts). */
const vendorId = z
  .string()
  .min(1)
  .max(200)
  .refine((v) => !isUnsafeId(v), { message: 'is not a valid id' });

const keyRef = z.object({
  vendor: vendorName,
  id: vendorId,
  ownerId: z.string().min(1).max(200).optional(),
});

export const REQUEST_ID = /^R-[0-9A-Z]{8}$/;

/** The correlation id of the Slack request (or the run) that queued the job: its log lines carry it on. */
const correlationId = z.string().min(1).max(64).optional();

/** A key as an owner's button names it: the policy, the vendor, the key and the run that asked. */
const ownerKeyRef = z.object({
  p: z.string().regex(/^[a-z0-9-]{1,40}$/),
  v: vendorName,
  k: vendorId,
  r: z.string().min(1).max(80),
});

export const jobSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('keys.stale'),
    id: z.string().min(8).max(128),
    correlationId,
    origin,
    days: z.number().int().min(MIN_DAYS).max(MAX_DAYS),
    type: keyTypeName.optional(),
    /** `report`: first answer (list + CSV when long); `page`: another page in place; `csv`: the CSV only. */
    mode: z.enum(['report', 'page', 'csv']),
    offset: z.number().int().min(0).default(0),
    /** One vendor only; every configured vendor when absent. */
    vendor: vendorName.optional(),
    /** `new`: answer privately without replacing the message the button was on (the digest is everyone's). */
    reply: z.enum(['replace', 'new']).default('replace'),
    /** Ask the vendors even where the inventory could answer (`--live`, "Read live"). */
    live: z.boolean().optional(),
  }),
  /** `/keys digest`: the weekly digest, shown privately to the admin who asked. */
  z.object({
    kind: z.literal('digest.preview'),
    id: z.string().min(8).max(128),
    correlationId,
    origin,
  }),
  z.object({
    kind: z.literal('user.lookup'),
    id: z.string().min(8).max(128),
    correlationId,
    origin,
    query: z.string().min(1).max(MAX_QUERY_LENGTH),
    /** Ask the vendors even where the inventory could answer (`--live`, "Read live"). */
    live: z.boolean().optional(),
  }),
  /** "Request revocation" on one key, or "Request revocation of all N" on a stale list. */
  z.object({
    kind: z.literal('revoke.request'),
    id: z.string().min(8).max(128),
    correlationId,
    origin,
    source: z.discriminatedUnion('kind', [
      z.object({
        kind: z.literal('keys'),
        refs: z.array(keyRef).min(1).max(50),
        thresholdDays: z.number().int().min(MIN_DAYS).max(MAX_DAYS).optional(),
      }),
      z.object({
        kind: z.literal('stale'),
        days: z.number().int().min(MIN_DAYS).max(MAX_DAYS),
        type: keyTypeName.optional(),
        vendor: vendorName.optional(),
      }),
    ]),
    reason: z.string().max(500).optional(),
  }),
  /** Approve pressed, or the Deny modal submitted, on an approval message. */
  z.object({
    kind: z.literal('revoke.decide'),
    id: z.string().min(8).max(128),
    correlationId,
    origin,
    requestId: z.string().regex(REQUEST_ID),
    decision: z.enum(['approve', 'deny']),
    /** Why the approver denied it (the Deny modal asks). */
    reason: z.string().max(500).optional(),
  }),
  /** "Retry now" on a request that stopped part-way, or whose execution was interrupted. */
  z.object({
    kind: z.literal('revoke.execute'),
    id: z.string().min(8).max(128),
    correlationId,
    origin,
    requestId: z.string().regex(REQUEST_ID),
  }),
  /** `/keys policy [name]`: the policies' plan, privately, nothing done. */
  z.object({
    kind: z.literal('policy.plan'),
    id: z.string().min(8).max(128),
    correlationId,
    origin,
    policy: z.string().max(40).optional(),
  }),
  /** "Keep it" submitted from an owner's notice: an exemption with a reason and a period. */
  z.object({
    kind: z.literal('policy.keep'),
    id: z.string().min(8).max(128),
    correlationId,
    origin,
    ref: ownerKeyRef,
    days: z.union([z.literal(30), z.literal(90), z.literal(180)]),
    reason: z.string().min(1).max(300),
  }),
  /** "Revoke it now": the owner gives up their own key (where the policy allows it). */
  z.object({
    kind: z.literal('policy.self_revoke'),
    id: z.string().min(8).max(128),
    correlationId,
    origin,
    ref: ownerKeyRef,
  }),
  /** "Not mine": the owner does not recognise the key; the security team is alerted. */
  z.object({
    kind: z.literal('policy.not_mine'),
    id: z.string().min(8).max(128),
    correlationId,
    origin,
    ref: ownerKeyRef,
  }),
  /** `/keys exempt <vendor>:<key-id> <days> <reason>` from an admin. */
  z.object({
    kind: z.literal('exempt.grant'),
    id: z.string().min(8).max(128),
    correlationId,
    origin,
    vendor: vendorName,
    keyId: vendorId,
    days: z.number().int().min(1).max(3650),
    reason: z.string().min(1).max(300),
  }),
  /** `/keys audit [days]`: the trail's recent events, privately, a page at a time (`before`: the next page). */
  z.object({
    kind: z.literal('audit.recent'),
    id: z.string().min(8).max(128),
    correlationId,
    origin,
    days: z.number().int().min(MIN_DAYS).max(MAX_DAYS),
    before: z.number().int().min(1).optional(),
  }),
  /** `/keys exemptions`. */
  z.object({
    kind: z.literal('exempt.list'),
    id: z.string().min(8).max(128),
    correlationId,
    origin,
  }),
  /** Keywarden's own: run the policies (the schedule), or one of them. */
  z.object({
    kind: z.literal('policy.run'),
    id: z.string().min(8).max(128),
    correlationId,
    policy: z.string().max(40).optional(),
  }),
  /** Keywarden's own: look up a person's keys and publish their Home again. */
  z.object({
    kind: z.literal('home.refresh'),
    id: z.string().min(8).max(128),
    correlationId,
    user: z.string().regex(/^[UW][A-Z0-9]+$/),
  }),
  /** Keywarden's own: a batch of one run's owner notices, so a run of thousands of owners spans several jobs. */
  z.object({
    kind: z.literal('policy.notify'),
    id: z.string().min(8).max(128),
    correlationId,
    policy: z.string().max(40),
    runId: z.string().min(1).max(80),
    owners: z
      .array(
        z.object({
          email: z.string().max(320),
          slackUser: z.string().max(40),
          dueAt: z.string(),
          keys: z.array(z.string().max(512)).max(500),
        }),
      )
      .max(200),
  }),
  /**
   * Keywarden's own: a full sync of the inventory (every vendor, or one): plans the ranges and queues a range job for
   * each, or takes over a build left unfinished and queues its pending ranges.
   */
  z.object({
    kind: z.literal('inventory.sync'),
    id: z.string().min(8).max(128),
    correlationId,
    vendor: vendorName.optional(),
  }),
  /** Keywarden's own: one range of a full sync, read and stored in the build's generation. */
  z.object({
    kind: z.literal('inventory.range'),
    id: z.string().min(8).max(128),
    correlationId,
    vendor: vendorName,
    generation: z.string().regex(/^[0-9A-Za-z-]{1,64}$/),
    round: z.number().int().min(0),
    range: z.object({
      id: z.string().min(1).max(200),
      kind: z.enum(['keys', 'people', 'all']),
      start: z.union([z.string().max(2000), z.number()]).optional(),
      size: z.number().int().min(0).optional(),
    }),
  }),
  /** Keywarden's own: an incremental refresh of the inventory from each vendor's change feed (or one vendor's). */
  z.object({
    kind: z.literal('inventory.refresh'),
    id: z.string().min(8).max(128),
    correlationId,
    vendor: vendorName.optional(),
  }),
  /**
   * Keywarden's own: carry an approved request on, nobody pressing anything. `continue` follows an execution whose
   * time slice ran out; `sweep` is the periodic sweep finding a request whose execution stalled or died.
   */
  z.object({
    kind: z.literal('revoke.resume'),
    id: z.string().min(8).max(128),
    correlationId,
    requestId: z.string().regex(REQUEST_ID),
    why: z.enum(['continue', 'sweep']),
  }),
]);
export type Job = z.infer<typeof jobSchema>;
export type JobInput = z.input<typeof jobSchema>;
/** Jobs Keywarden queues for itself: nobody to answer, and no one's work slot. */
export const SYSTEM_JOBS = [
  'revoke.resume',
  'policy.run',
  'policy.notify',
  'home.refresh',
  'inventory.sync',
  'inventory.range',
  'inventory.refresh',
] as const;
export type SystemJob = Extract<Job, { kind: (typeof SYSTEM_JOBS)[number] }>;
/** A job someone asked for in Slack: it has an origin to answer, and counts against that person's limits. */
export type PersonJob = Exclude<Job, SystemJob>;
export type PersonJobInput = Exclude<JobInput, { kind: (typeof SYSTEM_JOBS)[number] }>;

export function isSystemJob(job: Job): job is SystemJob {
  return (SYSTEM_JOBS as readonly string[]).includes(job.kind);
}

/**
 * One id per Slack interaction: Slack's `trigger_id` is unique per command or button press and stays the same if
 * the request is delivered again, so the same press always makes the same job.
 */
export function jobIdFor(triggerId: string, kind: string): string {
  return createHash('sha256').update(`${kind}:${triggerId}`).digest('hex').slice(0, 32);
}

/** A queue that stamps each job with the current correlation id, so the worker's log lines carry it on. */
export function correlating(queue: JobQueue): JobQueue {
  return {
    enqueue: (job) => {
      const correlationId = job.correlationId ?? logContext()?.correlationId;
      return queue.enqueue(correlationId ? { ...job, correlationId } : job);
    },
  };
}

/** Hands a job to whatever runs the worker. */
export interface JobQueue {
  /** Takes the job as written by its producer; defaults are filled in when the worker parses it. */
  enqueue(job: JobInput): Promise<void>;
}
