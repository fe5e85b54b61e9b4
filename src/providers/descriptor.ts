import type * as z from 'zod';
import type { InventorySource } from '../domain/inventory.js';
import type { Metrics } from '../domain/metrics.js';
import type { Provider } from '../domain/provider.js';
import { type VendorCatalog, type VendorInfo, vendorCatalog } from '../domain/vendors.js';
import type { SecretSource } from '../http/credentials.js';
import type { Transport } from '../http/transport.js';
import type { Logger } from '../log.js';

/**
 * What a vendor adapter tells the rest of Keywarden about itself. Each `providers/<vendor>/vendor.ts` exports one;
 * `providers/registry.ts` lists them, and the command grammar, the configuration (environment and Secrets Manager
 * alike), the CLI usage and the README's tables are derived from that list.
 */
export interface VendorField {
  /** Validates the text as read from the environment or the secret; `undefined` is an unset field. */
  schema: z.ZodType<string | undefined, unknown>;
  /** A credential: registered with the log redactor, and on Lambda kept in the Secrets Manager secret. */
  secret: boolean;
  /**
   * An option (a request body, a tuning value) rather than a connection setting: setting it alone does not mean
   * "use the real API".
   */
  option?: boolean;
  /** One line for the README's configuration table. */
  doc: string;
}

/** A vendor's validated settings, as its factory reads them. */
export interface VendorSettings {
  /** The field's value, or undefined when it is not set. */
  value(name: string): string | undefined;
  /** The field as a credential that may be rotated: re-read once when the vendor answers 401. */
  secret(name: string): SecretSource;
}

/** What every provider is built with, the same on Lambda, in `npm start` and in the CLI. */
export interface VendorContext {
  transport: Transport;
  logger?: Logger;
  /** Counts every request to the vendor, and its 429 and 5xx answers. */
  metrics?: Metrics;
  /** One vendor request may take this long before it is retried (KEYWARDEN_HTTP_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  /** Registers a value learnt at run time (an OAuth access token) with the log redactor. */
  redact(value: string): void;
}

/**
 * What configuration needs to know of a vendor: who it is and its settings. It imports no provider code, so the Slack
 * function (which validates the secret but calls no vendor) carries none.
 */
export interface VendorSpec extends VendorInfo {
  /** Its settings by variable name (`IDMELON_API_KEY`), each also a field of the Secrets Manager secret. */
  readonly fields: Readonly<Record<string, VendorField>>;
  /** Fields that must all be set once any connection field is; a missing one is named with the ones that are set. */
  readonly required: readonly string[];
}

/** A vendor whole: its spec and how its provider is built. */
export interface VendorDescriptor extends VendorSpec {
  create(settings: VendorSettings, context: VendorContext): Provider;
  /**
   * How the vendor's keys and people are read into the inventory, over the provider `create` built: one client, one
   * set of credentials and tokens. Absent for a vendor the inventory does not cover (its reads stay live).
   */
  inventory?(provider: Provider): InventorySource;
}

/** The connection fields of a vendor: setting any of them means "use the real API". */
export function connectionFields(d: VendorSpec): string[] {
  return Object.entries(d.fields)
    .filter(([, f]) => !f.option)
    .map(([name]) => name);
}

/** A list of vendors with the catalog's lookups: the full registry, or the specs alone. */
export interface VendorRegistry<D extends VendorSpec = VendorDescriptor> extends VendorCatalog {
  readonly descriptors: readonly D[];
}

export function vendorRegistry<D extends VendorSpec>(descriptors: readonly D[]): VendorRegistry<D> {
  return { ...vendorCatalog(descriptors), descriptors };
}
