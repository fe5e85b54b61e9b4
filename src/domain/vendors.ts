/** The vendors Keywarden speaks to, and how each is named to people. */
export type VendorId = 'idmelon' | 'trymellon' | 'solvimon';

/** How each vendor is named to people. */
export const VENDOR_LABELS: Record<VendorId, string> = {
  idmelon: 'IDmelon',
  trymellon: 'TryMellon',
  solvimon: 'Solvimon',
};
