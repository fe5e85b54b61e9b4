import type { VendorConfig } from '../config/vendors.js';
import type { InventorySource } from '../domain/inventory.js';
import type { Provider } from '../domain/provider.js';
import type { VendorContext, VendorDescriptor } from '../providers/descriptor.js';

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
