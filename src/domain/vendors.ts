/** The vendors Keywarden speaks to, and how each is named to people. */
export type VendorId = 'idmelon' | 'trymellon' | 'solvimon';

/** How each vendor is named to people. */
export const VENDOR_LABELS: Record<VendorId, string> = {
  idmelon: 'IDmelon',
  trymellon: 'TryMellon',
  solvimon: 'Solvimon',
};

/** The kinds of key each vendor has, as `/keys stale 90 <type>` names them. */
export const VENDOR_KEY_TYPES = {
  idmelon: ['phone', 'badge', 'desktop'],
  trymellon: ['passkey'],
  solvimon: ['api-key'],
} as const satisfies Record<VendorId, readonly string[]>;

export type KeyType = (typeof VENDOR_KEY_TYPES)[VendorId][number];

/** The vendor a key type belongs to. */
export function vendorOfKeyType(type: KeyType): VendorId {
  for (const [vendor, types] of Object.entries(VENDOR_KEY_TYPES) as Array<[VendorId, readonly string[]]>)
    if (types.includes(type)) return vendor;
  throw new Error(`no vendor has key type ${type}`);
}
