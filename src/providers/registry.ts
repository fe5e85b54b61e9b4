import { type VendorCatalog, vendorCatalog } from '../domain/vendors.js';
import type { VendorDescriptor } from './descriptor.js';
import { idmelonVendor } from './idmelon/vendor.js';
import { solvimonVendor } from './solvimon/vendor.js';
import { trymellonVendor } from './trymellon/vendor.js';

/**
 * Every vendor Keywarden speaks to, in display order. Adding a vendor is a new `providers/<vendor>/` folder with its
 * `vendor.ts`, one line here, and its docs (and, for `npm start` without credentials, a sandbox in `sandbox/`).
 */
export interface VendorRegistry extends VendorCatalog {
  readonly descriptors: readonly VendorDescriptor[];
}

export function vendorRegistry(descriptors: readonly VendorDescriptor[]): VendorRegistry {
  return { ...vendorCatalog(descriptors), descriptors };
}

export const VENDORS: VendorRegistry = vendorRegistry([idmelonVendor, trymellonVendor, solvimonVendor]);
