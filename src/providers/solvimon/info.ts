import type { VendorInfo } from '../../domain/vendors.js';

/** Solvimon API keys; Solvimon records no last use. */
export const SOLVIMON = {
  id: 'solvimon',
  label: 'Solvimon',
  keyTypes: ['api-key'],
  tracksUse: false,
} as const satisfies VendorInfo;
