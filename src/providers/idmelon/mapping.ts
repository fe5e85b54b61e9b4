import type { z } from 'zod';
import type { Group, Key, Passkey, UserSummary } from '../../domain/provider.js';
import { IDMELON } from './info.js';
import type { groupSchema, IdmelonUser, passkeySchema, SecurityKey } from './schemas.js';

const keyStatusLabels: Record<number, string> = { 20: 'active', 30: 'pending' };

const iso = (s: string) => new Date(s).toISOString();

export function toKey(raw: SecurityKey): Key {
  return {
    vendor: IDMELON.id,
    id: raw._id,
    name: raw.name ?? '(unnamed key)',
    type: raw.type ?? 'unknown',
    owner: {
      id: raw.token?._id ?? undefined,
      email: raw.token?.owner ?? undefined,
      name: raw.token?.name ?? undefined,
    },
    lastUsedAt: raw.lastActivity ? iso(raw.lastActivity.createdAt) : null,
    uses: raw.totalActivities ?? null,
    status: raw.status == null ? 'unknown' : (keyStatusLabels[raw.status] ?? String(raw.status)),
    blocked: raw.isBlocked ?? undefined,
    offlineAccess: raw.hasOfflineAccess ?? undefined,
  };
}

export function toUser(raw: IdmelonUser): UserSummary {
  return {
    vendor: IDMELON.id,
    id: raw._id,
    email: raw.email ?? raw.owner ?? undefined,
    name: raw.name ?? raw.displayName ?? undefined,
    status: raw.status == null ? undefined : String(raw.status),
  };
}

export function toPasskey(raw: z.infer<typeof passkeySchema>, index: number): Passkey {
  return {
    id: raw._id ?? raw.credentialId ?? `passkey-${index + 1}`,
    name: raw.name ?? '(unnamed passkey)',
    relyingParty: raw.rpName ?? raw.rpId ?? undefined,
    createdAt: raw.createdAt ? iso(raw.createdAt) : undefined,
    lastUsedAt: raw.lastUsedAt ? iso(raw.lastUsedAt) : null,
  };
}

export function toGroup(raw: z.infer<typeof groupSchema>): Group {
  return { id: raw._id, name: raw.name ?? '(unnamed group)' };
}
