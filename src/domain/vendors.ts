/**
 * The vendors Keywarden speaks to, as people and commands name them. Which vendors exist is not written here: each
 * adapter folder describes its own vendor (src/providers/<vendor>/vendor.ts) and the registry lists them; the
 * catalog below is what the rest of the product reads from that list.
 */

/** A vendor's id as commands, stored records and queue messages carry it: `idmelon`, `trymellon`, `solvimon`. */
export type VendorId = string;

/** A key type as `/keys stale 90 <type>` names it: `phone`, `passkey`, `api-key`. */
export type KeyType = string;

/** The shape of a vendor id and a key type, for records read back from a queue or a button before the catalog checks them. */
export const VENDOR_ID_PATTERN = /^[a-z][a-z0-9-]{1,30}$/;
export const KEY_TYPE_PATTERN = /^[a-z][a-z0-9-]{1,30}$/;

export interface VendorInfo {
  readonly id: VendorId;
  /** How the vendor is named to people: "IDmelon". */
  readonly label: string;
  /** Its kinds of key, each belonging to this vendor only. */
  readonly keyTypes: readonly KeyType[];
  /** Whether the vendor records when a key was last used (Solvimon does not). */
  readonly tracksUse: boolean;
}

/** The vendors in their display order, with the lookups commands and messages need. */
export interface VendorCatalog {
  readonly vendors: readonly VendorInfo[];
  readonly ids: readonly VendorId[];
  /** Every vendor's key types, in the vendors' order. */
  readonly keyTypes: readonly KeyType[];
  has(id: string): boolean;
  /** The vendor's label, or the id itself for a vendor no longer in the catalog (an old stored record). */
  label(id: VendorId): string;
  /** The vendor a key type belongs to, or undefined for an unknown type. */
  vendorOfKeyType(type: string): VendorId | undefined;
}

export function vendorCatalog(vendors: readonly VendorInfo[]): VendorCatalog {
  const byId = new Map<string, VendorInfo>();
  const typeOwner = new Map<string, VendorId>();
  for (const v of vendors) {
    if (!VENDOR_ID_PATTERN.test(v.id))
      throw new Error(`vendor id ${JSON.stringify(v.id)} is not a-z, 0-9 and -`);
    if (byId.has(v.id)) throw new Error(`vendor ${v.id} is listed twice`);
    byId.set(v.id, v);
    for (const t of v.keyTypes) {
      if (!KEY_TYPE_PATTERN.test(t)) throw new Error(`key type ${JSON.stringify(t)} is not a-z, 0-9 and -`);
      const owner = typeOwner.get(t);
      if (owner) throw new Error(`key type ${t} belongs to both ${owner} and ${v.id}`);
      if (byId.has(t) || vendors.some((o) => o.id === t))
        throw new Error(`key type ${t} has the same name as a vendor`);
      typeOwner.set(t, v.id);
    }
  }
  return {
    vendors,
    ids: vendors.map((v) => v.id),
    keyTypes: vendors.flatMap((v) => v.keyTypes),
    has: (id) => byId.has(id),
    label: (id) => byId.get(id)?.label ?? id,
    vendorOfKeyType: (type) => typeOwner.get(type),
  };
}
