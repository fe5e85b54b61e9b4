import { type VendorRegistry, vendorRegistry } from './descriptor.js';
import { idmelonVendor } from './idmelon/vendor.js';
import { solvimonVendor } from './solvimon/vendor.js';
import { trymellonVendor } from './trymellon/vendor.js';

export type { VendorRegistry };

/**
 * Every vendor Keywarden speaks to, in display order. Adding a vendor is a new `providers/<vendor>/` folder with its
 * `vendor.ts`, one line here, and its docs (and, for `npm start` without credentials, a sandbox in `sandbox/`).
 */
export const VENDORS: VendorRegistry = vendorRegistry([idmelonVendor, trymellonVendor, solvimonVendor]);
