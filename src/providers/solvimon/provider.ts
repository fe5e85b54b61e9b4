import { DAY_MS } from '../../domain/clock.js';
import type { DigestInput, VendorDigest } from '../../domain/digest.js';
import type {
  Key,
  KeyRef,
  OperationContext,
  Provider,
  RevokeResult,
  StaleListing,
  StaleQuery,
  UserProfile,
  UserSummary,
} from '../../domain/provider.js';
import { NotFoundError } from '../../http/errors.js';
import type { Logger } from '../../log.js';
import { mapLimit } from '../../util/concurrency.js';
import { part } from '../digest-parts.js';
import type { SolvimonClient } from './client.js';
import { SOLVIMON } from './info.js';
import { isActive, maskSecret, type SolvimonApiKey } from './schemas.js';

export const STALE_MEANING =
  'Solvimon API keys record no last use, so "stale" here means created more than the given days ago and still active.';

export interface SolvimonProviderOptions {
  /** The PATCH body that deactivates a key. @default { status: 'INACTIVE' } */
  deactivateBody?: Record<string, unknown>;
}

export function toKey(k: SolvimonApiKey, owner?: string): Key {
  const masked = maskSecret(k.api_key);
  return {
    vendor: SOLVIMON.id,
    id: k.id,
    name: k.description ?? (masked ? `API key ${masked}` : `API key ${k.id}`),
    type: 'api-key',
    owner: {
      id: owner ?? k.entity_id ?? undefined,
      name: owner ?? k.entity_id ?? undefined,
      email: owner?.includes('@') ? owner : undefined,
    },
    lastUsedAt: undefined,
    createdAt: k.created_at ? new Date(k.created_at).toISOString() : undefined,
    uses: null,
    status: (k.status ?? (k.active ? 'ACTIVE' : 'INACTIVE')).toLowerCase(),
  };
}

export class SolvimonProvider implements Provider {
  readonly vendor = SOLVIMON.id;
  readonly label = SOLVIMON.label;
  readonly revokeBatchSize = 10;
  /** Solvimon records no last use: "stale" is measured by creation date. */
  readonly tracksUse = SOLVIMON.tracksUse;

  constructor(
    readonly client: SolvimonClient,
    private readonly options: SolvimonProviderOptions = {},
  ) {}

  async listStale(query: StaleQuery, ctx: OperationContext): Promise<StaleListing> {
    const keys = await this.client.list({ deadline: ctx.deadline, meter: ctx.meter });
    const cutoff = query.cutoff.getTime();
    const active = keys.filter(isActive);
    const stale = active
      .filter((k) => k.created_at && Date.parse(k.created_at) < cutoff)
      .map((k) => toKey(k))
      .filter((k) => !query.type || k.type === query.type)
      .sort((a, b) => Date.parse(a.createdAt as string) - Date.parse(b.createdAt as string));
    return {
      stale,
      neverUsed: [],
      scan: 'full',
      meaning: STALE_MEANING,
      inventory: { total: active.length, byType: { 'api-key': active.length } },
    };
  }

  /** By username, through the search endpoint. */
  async findUsers(query: string, ctx: OperationContext): Promise<UserSummary[]> {
    const keys = await this.client.search(
      { username: query.trim() },
      { deadline: ctx.deadline, meter: ctx.meter },
    );
    if (keys.length === 0) return [];
    return [
      {
        vendor: SOLVIMON.id,
        id: query.trim(),
        name: query.trim(),
        email: query.includes('@') ? query.trim() : undefined,
      },
    ];
  }

  async userProfile(username: string, ctx: OperationContext): Promise<UserProfile> {
    const keys = await this.client.search({ username }, { deadline: ctx.deadline, meter: ctx.meter });
    return {
      user: {
        vendor: SOLVIMON.id,
        id: username,
        name: username,
        email: username.includes('@') ? username : undefined,
      },
      keys: keys.map((k) => toKey(k, username)),
      passkeys: [],
      groups: [],
    };
  }

  async currentKeys(
    refs: readonly KeyRef[],
    _hint: { cutoff?: Date },
    ctx: OperationContext,
  ): Promise<Map<string, Key | null>> {
    const found = new Map<string, Key | null>();
    await mapLimit(refs, 8, async (r) => {
      try {
        const k = await this.client.get(r.id, { deadline: ctx.deadline, meter: ctx.meter });
        found.set(r.id, isActive(k) ? toKey(k, r.ownerId) : null);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        found.set(r.id, null);
      }
    });
    return found;
  }

  /** `PATCH /v1/api-keys/{id}` with the configured deactivating body (the docs list no status values). */
  async revoke(keys: readonly KeyRef[], ctx: OperationContext): Promise<RevokeResult[]> {
    const body = this.options.deactivateBody ?? { status: 'INACTIVE' };
    return mapLimit(keys, 4, async (k): Promise<RevokeResult> => {
      try {
        const after = await this.client.patch(k.id, body, { deadline: ctx.deadline, meter: ctx.meter });
        if (isActive(after))
          return {
            id: k.id,
            outcome: 'failed',
            error:
              'Solvimon accepted the change but the key is still active (check SOLVIMON_DEACTIVATE_BODY)',
          };
        return { id: k.id, outcome: 'deleted' };
      } catch (err) {
        if (err instanceof NotFoundError) return { id: k.id, outcome: 'already_gone' };
        throw err;
      }
    });
  }

  async digest(input: DigestInput, ctx: OperationContext, logger: Logger): Promise<VendorDigest> {
    const data: Record<string, unknown> = {};
    const keysPart = await part('API keys', logger, async () => {
      const keys = await this.client.list({ deadline: ctx.deadline, meter: ctx.meter });
      const active = keys.filter(isActive);
      const createdIn = (start: string, end: string) =>
        keys.filter(
          (k) =>
            k.created_at &&
            new Date(k.created_at).toISOString() >= start &&
            new Date(k.created_at).toISOString() < end,
        ).length;
      const cutoff = input.now.getTime() - input.staleDays * DAY_MS;
      const old = active.filter((k) => k.created_at && Date.parse(k.created_at) < cutoff).length;
      const byRole: Record<string, number> = {};
      for (const k of active) byRole[k.role_type ?? 'unknown'] = (byRole[k.role_type ?? 'unknown'] ?? 0) + 1;
      data.apiKeys = {
        total: keys.length,
        active: active.length,
        byRole,
        createdThisWeek: createdIn(input.week.start, input.week.end),
        olderThanStaleDays: old,
      };
      return {
        title: 'API keys',
        figures: [
          { label: 'keys', value: keys.length },
          { label: 'active', value: active.length },
          {
            label: 'created this week',
            value: createdIn(input.week.start, input.week.end),
            previous: createdIn(input.previousWeek.start, input.previousWeek.end),
          },
          { label: `active and older than ${input.staleDays} days`, value: old },
        ],
        lines: [
          Object.entries(byRole)
            .map(([r, n]) => `${r} ${n}`)
            .join(' · ') || 'No active keys.',
          STALE_MEANING,
        ],
        reviewStale: { days: input.staleDays, count: old },
      };
    });
    return {
      vendor: SOLVIMON.id,
      label: SOLVIMON.label,
      parts: [keysPart],
      requests: ctx.meter.requests,
      data,
    };
  }
}
