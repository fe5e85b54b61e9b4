import type { VendorInfo } from '../../domain/vendors.js';

/** TryMellon passkeys. */
export const TRYMELLON = {
  id: 'trymellon',
  label: 'TryMellon',
  keyTypes: ['passkey'],
  tracksUse: true,
} as const satisfies VendorInfo;
