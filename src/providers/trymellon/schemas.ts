import * as z from 'zod';

/**
 * zod schemas for the TryMellon Admin REST API, tolerant of unknown fields. Every answer is an envelope:
 * `{ ok: true, data }` or `{ ok: false, error: { code, message } }`.
 *
 * ASSUMPTIONS (the docs leave these open), kept here only:
 * - Audit logs are returned newest first (the docs say "a paginated stream" without an order); the digest stops
 *   paging once it is past its window, and says so if it had to stop early.
 * - `last_used_at` may be null or absent for a passkey never used.
 */
const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not a date' });

export function envelope<T extends z.ZodType>(data: T) {
  return z.looseObject({ ok: z.literal(true), data });
}

export const tokenSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().positive(),
});

export const userSchema = z.looseObject({
  id: z.string().min(1),
  external_user_id: z.string().min(1),
  status: z.string().nullish(),
  created_at: isoDate.nullish(),
});
export type TryMellonUser = z.infer<typeof userSchema>;

export const userListSchema = envelope(
  z.looseObject({ data: z.array(userSchema), has_more: z.boolean(), next_cursor: z.string().nullish() }),
);

export const credentialSchema = z.looseObject({
  credential_id: z.string().min(1),
  status: z.string(),
  alias: z.string().nullish(),
  transports: z.array(z.string()).nullish(),
  attestation_type: z.string().nullish(),
  created_at: isoDate.nullish(),
  last_used_at: isoDate.nullish(),
});
export type Credential = z.infer<typeof credentialSchema>;

export const credentialListSchema = envelope(
  z.looseObject({
    credentials: z.array(credentialSchema),
    pagination: z.looseObject({
      page: z.number().int(),
      limit: z.number().int(),
      total: z.number().int().nonnegative(),
    }),
  }),
);

/**
 * An audit event: the inventory's change feed (`providers/trymellon/inventory.ts`).
 *
 * What the audit log carries: an event per sign-in (`auth.success`), passkey registered, passkey revoked, user
 * created or deleted, with its time and the user's TryMellon id (`user_id`), newest first, paged by `starting_after`
 * towards older events. It has no time filter, so a refresh reads from the top down to its cursor.
 * What it misses: events name no passkey and no `external_user_id`, the only id the credentials endpoint takes, so
 * the touched users' TryMellon ids are matched to external ids through the users list (remembered by the source
 * between refreshes). Deleting a user erases their audit entries (the docs: the deletion "cascades to … audit log
 * entries"), and may erase the `user.deleted` event itself; a user disabled, a passkey's alias or status changed
 * other than by revocation, and events past the plan's retention (90 days on Starter) leave nothing to find. The
 * daily full sync is what brings those in.
 * ASSUMPTIONS: the log is newest first (see above), and `starting_after` pages towards older events, as the
 * sandbox and the digest read it; an event's `id` is unique and stable.
 */
export const auditEventSchema = z.looseObject({
  id: z.string(),
  event: z.string(),
  success: z.boolean().nullish(),
  user_id: z.string().nullish(),
  created_at: isoDate,
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

export const auditListSchema = envelope(
  z.looseObject({
    data: z.array(auditEventSchema),
    has_more: z.boolean(),
    next_cursor: z.string().nullish(),
  }),
);

export const usageSchema = envelope(
  z.looseObject({
    period: z.string(),
    api_calls: z.number(),
    active_users: z.number(),
    tenant_id: z.string().nullish(),
  }),
);

export const getUserSchema = envelope(userSchema);

/** The security category of the audit events, from the docs' table; the digest highlights these. */
export const SECURITY_EVENTS = new Set([
  'auth.failed',
  'credential.revoked',
  'credential.lockout',
  'credential.replay_detected',
  'account.recovered',
  'action.signed',
  'action.sign.failed',
  'attestation.policy.violation',
  'attestation.credential.blocked',
  'dbsc.verification.failed',
  'session.exchange.denied',
  'acting-as.invoked',
  'acting-as.ended',
  'authorization.denied',
]);

/** The ones the digest calls out by name, as the issue asks. */
export const HIGHLIGHTED_EVENTS = [
  'auth.failed',
  'credential.lockout',
  'credential.replay_detected',
  'attestation.policy.violation',
  'authorization.denied',
] as const;
