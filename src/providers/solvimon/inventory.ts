import type { InventoryChanges, InventorySource, RangeRead, SyncRange } from '../../domain/inventory.js';
import type { Key, OperationContext } from '../../domain/provider.js';
import type { SolvimonClient } from './client.js';
import { SOLVIMON } from './info.js';
import { toKey } from './provider.js';
import { isActive } from './schemas.js';

/** Solvimon has no change feed, so there is no position in one to keep: every refresh reads the whole list. */
const WHOLE_LIST = 'whole-list';

/**
 * How Solvimon's API keys are read into the inventory: the active keys of the one list endpoint (small, and not
 * paginated as far as the docs show), in one range for a full sync and again, whole, for every refresh. Solvimon
 * records no change history of API keys, so a refresh reports the whole listing as `complete`: a key the inventory
 * holds and the list no longer shows active is gone. The list names no users (only each key's `entity_id`), so the
 * inventory holds no Solvimon people; lookups search Solvimon by username live. The decrypted-key endpoint is never
 * called: Keywarden never holds a key's secret.
 */
export class SolvimonInventory implements InventorySource {
  readonly vendor = SOLVIMON.id;

  constructor(private readonly client: SolvimonClient) {}

  async cursorNow(_ctx: OperationContext): Promise<string> {
    return WHOLE_LIST;
  }

  async planFullSync(_ctx: OperationContext): Promise<SyncRange[]> {
    return [{ id: 'all', kind: 'all' }];
  }

  async readRange(_range: SyncRange, ctx: OperationContext): Promise<RangeRead> {
    return { keys: await this.activeKeys(ctx), people: [] };
  }

  async changesSince(_cursor: string, ctx: OperationContext): Promise<InventoryChanges> {
    return {
      keys: await this.activeKeys(ctx),
      removedKeys: [],
      people: [],
      removedPeople: [],
      complete: true,
      cursor: WHOLE_LIST,
    };
  }

  private async activeKeys(ctx: OperationContext): Promise<Key[]> {
    const keys = await this.client.list({ deadline: ctx.deadline, meter: ctx.meter });
    return keys.filter(isActive).map((k) => toKey(k));
  }
}
