import type { VendorConfig } from '../config/vendors.js';
import type { Provider } from '../domain/provider.js';
import type { VendorContext, VendorDescriptor } from '../providers/descriptor.js';

/** One provider per configured vendor, in registry order, each built by its own descriptor. */
export function buildProviders(config: VendorConfig<VendorDescriptor>, context: VendorContext): Provider[] {
  return config.configured.map(({ vendor, settings }) => vendor.create(settings, context));
}
