import { type VendorRegistry, type VendorSpec, vendorRegistry } from './descriptor.js';
import { idmelonSpec } from './idmelon/spec.js';
import { solvimonSpec } from './solvimon/spec.js';
import { trymellonSpec } from './trymellon/spec.js';

/**
 * The vendors' specs without their provider code, in the registry's order: what the Slack function needs to validate
 * the secret, redact its values and parse commands. A test keeps this list and `VENDORS` the same.
 */
export const VENDOR_SPECS: VendorRegistry<VendorSpec> = vendorRegistry<VendorSpec>([
  idmelonSpec,
  trymellonSpec,
  solvimonSpec,
]);
