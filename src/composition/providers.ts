import type { VendorConfig } from '../config/vendors.js';
import type { Clock } from '../domain/clock.js';
import type { InventorySource, InventoryStore } from '../domain/inventory.js';
import type { Logger } from '../domain/logger.js';
import type { Provider } from '../domain/provider.js';
import type { VendorContext, VendorDescriptor } from '../providers/descriptor.js';
import { inventoried } from '../services/inventoried.js';

/** One provider per configured vendor, in registry order, each built by its own descriptor. */
export function buildProviders(config: VendorConfig<VendorDescriptor>, context: VendorContext): Provider[] {
  return config.configured.map(({ vendor, settings }) => vendor.create(settings, context));
}

/**
 * The inventory source of each configured vendor whose descriptor has one, over the provider `buildProviders` built
 * for it (so both share one client and its credentials).
 */
export function buildInventorySources(
  config: VendorConfig<VendorDescriptor>,
  providers: readonly Provider[],
): InventorySource[] {
  return config.configured.flatMap(({ vendor }) => {
    const provider = providers.find((p) => p.vendor === vendor.id);
    return provider && vendor.inventory ? [vendor.inventory(provider)] : [];
  });
}

/**
 * The vendors as the commands read them: through the inventory when one is kept and allowed to be read
 * (KEYWARDEN_INVENTORY_MAX_AGE above 0), as they are otherwise.
 */
export function withInventory(
  providers: readonly Provider[],
  options: { inventory?: InventoryStore; maxAgeMs: number; clock: Clock; logger?: Logger },
): Provider[] {
  const { inventory, maxAgeMs, clock, logger } = options;
  if (!inventory || maxAgeMs <= 0) return [...providers];
  return providers.map((p) => inventoried(p, inventory, { maxAgeMs, clock, logger }));
}
