import * as z from 'zod';
import { MAX_DAYS, MAX_QUERY_LENGTH, MIN_DAYS } from '../commands/grammar.js';
import { MAX_REASON_LENGTH } from '../domain/revocation.js';
import { KEY_TYPE_PATTERN, VENDOR_ID_PATTERN } from '../domain/vendors.js';
import { isUnsafeId } from '../http/path.js';
import { REQUEST_ID } from '../jobs/job.js';

/** A vendor or key type by name; whether Keywarden has it is checked where the work is done. */
const vendorName = z.string().regex(VENDOR_ID_PATTERN);
const keyTypeName = z.string().regex(KEY_TYPE_PATTERN);

/**
 * The parts of Slack payloads Keywarden reads, validated at the edge. Slack adds fields over time, so objects
 * are loose; what we rely on is required.
 */
export const slashCommandSchema = z.looseObject({
  command: z.string().min(1),
  text: z.string().default(''),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
  team_id: z.string().optional(),
  response_url: z.url(),
  trigger_id: z.string().min(1),
});
export type SlashCommand = z.infer<typeof slashCommandSchema>;

export const blockActionSchema = z.looseObject({
  type: z.literal('block_actions'),
  user: z.looseObject({ id: z.string().min(1) }),
  team: z.looseObject({ id: z.string() }).nullish(),
  channel: z.looseObject({ id: z.string().min(1) }).nullish(),
  container: z
    .looseObject({ channel_id: z.string().optional(), message_ts: z.string().optional() })
    .nullish(),
  response_url: z.url().optional(),
  trigger_id: z.string().min(1),
  actions: z.array(z.looseObject({ action_id: z.string(), value: z.string().optional() })).min(1),
});
export type BlockAction = z.infer<typeof blockActionSchema>;

/** The value of "Next 20" and "Download CSV": the scan to run again and where to start. */
export const stalePageRefSchema = z.object({
  days: z.number().int().min(MIN_DAYS).max(MAX_DAYS),
  type: keyTypeName.optional(),
  vendor: vendorName.optional(),
  offset: z.number().int().min(0).max(1_000_000),
  /** Read from the vendors, not the inventory ("Read live", and the pages after it). */
  live: z.boolean().optional(),
});

/** The value of "Read live" under a lookup answered from the inventory: the same lookup, asked of the vendors. */
export const lookupLiveRefSchema = z.object({ q: z.string().min(1).max(MAX_QUERY_LENGTH) });

/** The value of "Request revocation" on a key row. */
export const revokeKeyRefSchema = z.object({
  v: vendorName,
  id: z
    .string()
    .min(1)
    .max(200)
    .refine((v) => !isUnsafeId(v), { message: 'is not a valid id' }),
  o: z.string().min(1).max(200).optional(),
  d: z.number().int().min(MIN_DAYS).max(MAX_DAYS).optional(),
  /** The key's name, for the modal to show; nothing is decided on it. */
  n: z.string().max(60).optional(),
});

/** The value of "Request revocation of all N". */
export const revokeStaleRefSchema = z.object({
  days: z.number().int().min(MIN_DAYS).max(MAX_DAYS),
  type: keyTypeName.optional(),
  vendor: vendorName.optional(),
  /** Each vendor's count as the list showed it, for the modal to show; the worker scans again. */
  n: z
    .array(z.tuple([vendorName, z.number().int().min(0).max(10_000_000)]))
    .max(20)
    .optional(),
});

/** The value of an owner's Keep it / Revoke it now / Not mine: the policy, the vendor, the key and the run. */
export const ownerKeyRefSchema = z.object({
  p: z.string().regex(/^[a-z0-9-]{1,40}$/),
  v: vendorName,
  k: z
    .string()
    .min(1)
    .max(200)
    .refine((v) => !isUnsafeId(v), { message: 'is not a valid id' }),
  r: z.string().min(1).max(80),
});

/** "Keep it" submitted: the modal's metadata (the key, and the DM to answer in) and its two inputs. */
export const keepSubmissionSchema = z.looseObject({
  type: z.literal('view_submission'),
  user: z.looseObject({ id: z.string().min(1) }),
  view: z.looseObject({
    id: z.string().min(1),
    callback_id: z.string(),
    private_metadata: z.string().max(3000),
    state: z.looseObject({
      values: z.looseObject({
        reason: z.looseObject({ value: z.looseObject({ value: z.string().nullish() }) }),
        days: z.looseObject({
          value: z.looseObject({ selected_option: z.looseObject({ value: z.string() }).nullish() }),
        }),
      }),
    }),
  }),
});

const channel = z.string().regex(/^[CDG][A-Z0-9]{2,}$/);
export const keepMetadataSchema = ownerKeyRefSchema.extend({ c: channel });
/** A modal's metadata that says only where to answer. */
export const channelMetadataSchema = z.object({ c: channel });

/** The value of "Exempt a key…": the page's keys as [vendor, id, short name]. */
export const exemptPageSchema = z
  .array(
    z.tuple([
      vendorName,
      z
        .string()
        .min(1)
        .max(200)
        .refine((v) => !isUnsafeId(v)),
      z.string().max(30),
    ]),
  )
  .min(1)
  .max(100);

/** "Exempt a key…" submitted. */
export const exemptSubmissionSchema = z.looseObject({
  type: z.literal('view_submission'),
  user: z.looseObject({ id: z.string().min(1) }),
  view: z.looseObject({
    id: z.string().min(1),
    private_metadata: z.string().max(3000),
    state: z.looseObject({
      values: z.looseObject({
        key: z.looseObject({
          value: z.looseObject({ selected_option: z.looseObject({ value: z.string() }).nullish() }),
        }),
        days: z.looseObject({
          value: z.looseObject({ selected_option: z.looseObject({ value: z.string() }).nullish() }),
        }),
        reason: z.looseObject({ value: z.looseObject({ value: z.string().nullish() }) }),
      }),
    }),
  }),
});

/** The value of Approve / Deny / Retry. */
export const requestRefSchema = z.object({ r: z.string().regex(REQUEST_ID) });

/** A modal with one `reason` input submitted (the request and Deny modals). */
export const reasonSubmissionSchema = z.looseObject({
  type: z.literal('view_submission'),
  user: z.looseObject({ id: z.string().min(1) }),
  team: z.looseObject({ id: z.string() }).nullish(),
  view: z.looseObject({
    id: z.string().min(1),
    private_metadata: z.string().max(3000),
    state: z.looseObject({
      values: z.looseObject({
        reason: z.looseObject({ value: z.looseObject({ value: z.string().nullish() }) }),
      }),
    }),
  }),
});

/** The request modal's metadata: the button's value, which button it was, and the channel to answer in. */
export const requestMetadataSchema = z.discriminatedUnion('k', [
  z.object({ k: z.literal('key'), ref: revokeKeyRefSchema, c: channel }),
  z.object({ k: z.literal('stale'), ref: revokeStaleRefSchema, c: channel }),
]);

/** The Deny modal's metadata: the request and the channel to answer in. */
export const denyMetadataSchema = requestRefSchema.extend({ c: channel });

/** A reason typed in a modal: surrounding blanks dropped, `min` to 500 characters. */
export function reasonSchema(min: number) {
  return z.string().trim().min(min).max(MAX_REASON_LENGTH);
}

export function parseJsonValue<T>(schema: z.ZodType<T>, value: string | undefined): T | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
