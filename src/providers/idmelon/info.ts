import type { VendorInfo } from '../../domain/vendors.js';

/** IDmelon security keys: phones, badges and desktops that act as FIDO2 authenticators. */
export const IDMELON = {
  id: 'idmelon',
  label: 'IDmelon',
  keyTypes: ['phone', 'badge', 'desktop'],
  tracksUse: true,
} as const satisfies VendorInfo;
