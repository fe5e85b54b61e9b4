import * as z from 'zod';

/**
 * zod schemas for Solvimon's Identity API (API keys), tolerant of unknown fields.
 *
 * ASSUMPTIONS, kept here only:
 * - The docs show the fields of one API key but not the list's envelope. We accept a bare array or an object
 *   holding the array in `data`, `items` or `results`, and treat one answer as the whole list (no pagination is
 *   documented).
 * - `status` values are not listed ("Allowed values:" is empty). A key counts as active when `status` is ACTIVE,
 *   or, with no status, when the deprecated `active` flag is true.
 * - `api_key` is the secret itself. It is never shown beyond its last 4 characters, and the "decrypted key"
 *   endpoint is never called.
 */
const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not a date' });

export const apiKeySchema = z.looseObject({
  id: z.string().min(1),
  object_type: z.string().nullish(),
  api_key: z.string().nullish(),
  entity_id: z.string().nullish(),
  created_at: isoDate.nullish(),
  status: z.string().nullish(),
  description: z.string().nullish(),
  role_type: z.string().nullish(),
  active: z.boolean().nullish(),
});
export type SolvimonApiKey = z.infer<typeof apiKeySchema>;

export const apiKeyListSchema = z.union([
  z.array(apiKeySchema),
  z.looseObject({ data: z.array(apiKeySchema) }),
  z.looseObject({ items: z.array(apiKeySchema) }),
  z.looseObject({ results: z.array(apiKeySchema) }),
]);

/** The keys of a list answer, whichever of the accepted shapes it came in. */
export function keysOf(list: z.infer<typeof apiKeyListSchema>): SolvimonApiKey[] {
  if (Array.isArray(list)) return list;
  const holder = list as Record<string, unknown>;
  const field = ['data', 'items', 'results'].find((f) => Array.isArray(holder[f]));
  // The schema only lets through shapes with one of these arrays, each already validated as API keys.
  return (field ? holder[field] : []) as SolvimonApiKey[];
}

export function isActive(k: SolvimonApiKey): boolean {
  if (k.status) return k.status.toUpperCase() === 'ACTIVE';
  return k.active === true;
}

/** "…f9a2": the most of a secret Keywarden ever shows. */
export function maskSecret(secret: string | null | undefined): string | undefined {
  if (!secret) return undefined;
  return `…${secret.slice(-4)}`;
}
