import * as z from 'zod';

/**
 * zod schemas for the IDmelon Admin REST API responses Keywarden reads. Every object is `looseObject`: unknown
 * fields pass through untouched, so IDmelon adding a field never breaks the bot.
 *
 * ASSUMPTIONS, kept here and only here (the docs leave these shapes open):
 * - The docs name the items array only for the activity logs (`data`). We assume every list endpoint (security
 *   keys, users, a user's keys, passkeys, groups, API keys) puts its items in `data` too.
 * - User objects (the users list and user details) are undocumented. We read `_id`, an email from `email` or
 *   `owner` (security keys call the owner's email `token.owner`), a name from `name` or `displayName`, and `status`.
 * - Passkeys (`/credentials`), groups and workspace API keys are undocumented beyond their paths; we read only the
 *   fields named below and tolerate their absence.
 */

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not a date' });

function listEnvelope<T extends z.ZodType>(item: T) {
  return z.looseObject({
    data: z.array(item),
    total: z.number().int().nonnegative(),
    skip: z.number().int().nonnegative().optional(),
    limit: z.number().int().nonnegative().optional(),
  });
}

export const securityKeySchema = z.looseObject({
  _id: z.string().min(1),
  name: z.string().nullish(),
  type: z.string().nullish(),
  status: z.number().nullish(),
  token: z
    .looseObject({
      _id: z.string().nullish(),
      owner: z.string().nullish(),
      name: z.string().nullish(),
    })
    .nullish(),
  lastActivity: z.looseObject({ createdAt: isoDate }).nullish(),
  totalActivities: z.number().nullish(),
  hasOfflineAccess: z.boolean().nullish(),
  isBlocked: z.boolean().nullish(),
});
export type SecurityKey = z.infer<typeof securityKeySchema>;

export const securityKeyListSchema = listEnvelope(securityKeySchema).extend({
  /** Counts by key type; shape undocumented, read by the digest. */
  statistics: z.unknown().optional(),
  filters: z.unknown().optional(),
});
export type SecurityKeyList = z.infer<typeof securityKeyListSchema>;

export const userSchema = z.looseObject({
  _id: z.string().min(1),
  email: z.string().nullish(),
  owner: z.string().nullish(),
  name: z.string().nullish(),
  displayName: z.string().nullish(),
  status: z.union([z.string(), z.number()]).nullish(),
  createdAt: isoDate.nullish(),
});
export type IdmelonUser = z.infer<typeof userSchema>;

export const userCountersSchema = z.looseObject({
  activeTokens: z.number().optional(),
  pendingTokens: z.number().optional(),
  blockTokens: z.number().optional(),
  notInvitedTokens: z.number().optional(),
  noDeviceTokens: z.number().optional(),
});

export const userListSchema = listEnvelope(userSchema).extend({ details: userCountersSchema.optional() });
export type UserList = z.infer<typeof userListSchema>;

export const passkeySchema = z.looseObject({
  _id: z.string().nullish(),
  credentialId: z.string().nullish(),
  name: z.string().nullish(),
  rpId: z.string().nullish(),
  rpName: z.string().nullish(),
  createdAt: isoDate.nullish(),
  lastUsedAt: isoDate.nullish(),
});
export const passkeyListSchema = listEnvelope(passkeySchema);

export const groupSchema = z.looseObject({ _id: z.string(), name: z.string().nullish() });
export const groupListSchema = listEnvelope(groupSchema);

/**
 * An activity log entry: the inventory's change feed (`providers/idmelon/inventory.ts`).
 *
 * What the logs carry: each authentication (`action` 2) with its time, the key used (`securityKeyDevice`, the key's
 * `_id`) and its owner's email (`ownerId`, despite the name: the docs say "Owner email of the security key"), newest
 * first, filterable by time (`from`, inclusive).
 * What they miss: they name no user id, so the owner's keys are reached through the key (its `token._id`); a key
 * added or revoked, a key that was never used, a user added or removed, a key whose status changed leave no entry
 * an incremental refresh can find. The daily full sync is what brings those in.
 * ASSUMPTIONS: entries may have no `_id` (the docs' example shows none), so an entry is known by its time, key,
 * relying party and status when it has none; `lastActivity` of a key is at least the time of its newest
 * authentication entry (the docs: the two "line up").
 */
export const logEntrySchema = z.looseObject({
  _id: z.string().nullish(),
  createdAt: isoDate,
  action: z.number(),
  status: z.number().nullish(),
  rpInfo: z.looseObject({ name: z.string().nullish(), id: z.string().nullish() }).nullish(),
  userInfo: z.looseObject({ name: z.string().nullish(), displayName: z.string().nullish() }).nullish(),
  ownerId: z.string().nullish(),
  deviceName: z.string().nullish(),
  securityKeyDevice: z.string().nullish(),
  credentialId: z.string().nullish(),
  deletedDevice: z.boolean().nullish(),
});
export type LogEntry = z.infer<typeof logEntrySchema>;
export const logListSchema = listEnvelope(logEntrySchema);

export const apiKeySchema = z.looseObject({
  _id: z.string().nullish(),
  name: z.string().nullish(),
  type: z.string().nullish(),
  expiresAt: isoDate.nullish(),
  expirationDate: isoDate.nullish(),
});
export const apiKeyListSchema = listEnvelope(apiKeySchema);

/** Statistics endpoints: shapes undocumented, so any JSON object is accepted and read for its numbers. */
export const statisticsSchema = z.record(z.string(), z.unknown());

export const messageSchema = z.looseObject({ message: z.string().optional() });

/**
 * ASSUMPTION: the security keys list's `statistics` ("counts by key type") has no documented shape. We accept an
 * object of counts (`{ "phone": 12 }`), or an array of `{ type, count }` / `{ _id, count }`, and otherwise say
 * the breakdown is unavailable.
 */
export function keyTypeCounts(statistics: unknown): Record<string, number> | undefined {
  const asRecord = z.record(z.string(), z.number()).safeParse(statistics);
  if (asRecord.success) return asRecord.data;
  const asArray = z
    .array(z.looseObject({ type: z.string().optional(), _id: z.string().optional(), count: z.number() }))
    .safeParse(statistics);
  if (!asArray.success) return undefined;
  const out: Record<string, number> = {};
  for (const row of asArray.data) {
    const type = row.type ?? row._id;
    if (type) out[type] = (out[type] ?? 0) + row.count;
  }
  return out;
}
