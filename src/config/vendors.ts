import type { VendorId } from '../domain/vendors.js';
import type { SecretSource } from '../http/credentials.js';
import { ConfigError } from '../http/errors.js';
import { connectionFields, type VendorSettings, type VendorSpec } from '../providers/descriptor.js';

/**
 * Each vendor's settings, read by the same rules wherever they come from: the environment for `npm start` and the
 * CLI, the Secrets Manager secret (then the function's environment) on Lambda. Every field is validated by its
 * vendor's schema; a vendor with any connection field set must have all of its required ones.
 */
export interface VendorConfig<D extends VendorSpec = VendorSpec> {
  /** Every vendor in the registry, in its order. */
  all: readonly D[];
  /** Vendors whose connection fields are set, in registry order. */
  configured: Array<{ vendor: D; settings: VendorSettings }>;
  /** Vendors with nothing set: served by their sandbox locally, left out on Lambda. */
  unconfigured: D[];
  /** Every credential value that was read, for the log redactor. */
  secrets: string[];
}

export interface VendorSource {
  /** The raw value of a field (a string, or undefined when unset). */
  read(name: string): unknown;
  /** The field as a credential; the default is its value as read, which never changes. */
  secret?(name: string, value: string): SecretSource;
}

export function readVendorConfig<D extends VendorSpec>(
  descriptors: readonly D[],
  source: VendorSource,
): VendorConfig<D> {
  const problems: string[] = [];
  const out: VendorConfig<D> = { all: descriptors, configured: [], unconfigured: [], secrets: [] };
  for (const vendor of descriptors) {
    const values = new Map<string, string>();
    for (const [name, field] of Object.entries(vendor.fields)) {
      const parsed = field.schema.safeParse(source.read(name));
      if (!parsed.success) {
        problems.push(...parsed.error.issues.map((i) => `${name} ${i.message}`));
        continue;
      }
      if (parsed.data === undefined) continue;
      values.set(name, parsed.data);
      if (field.secret) out.secrets.push(parsed.data);
    }
    const set = connectionFields(vendor).filter((n) => values.has(n));
    if (set.length === 0) {
      out.unconfigured.push(vendor);
      continue;
    }
    const missing = vendor.required.filter((n) => !values.has(n));
    if (missing.length) {
      const given = set.filter((n) => !vendor.required.includes(n));
      problems.push(
        `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required to use ${vendor.label}` +
          (given.length ? ` when ${given.join(' or ')} is set` : ''),
      );
      continue;
    }
    out.configured.push({
      vendor,
      settings: {
        value: (name) => values.get(name),
        secret: (name) => {
          const value = values.get(name);
          if (value === undefined) throw new ConfigError(`${name} is not set`);
          return source.secret?.(name, value) ?? { get: async () => value };
        },
      },
    });
  }
  if (problems.length) throw new ConfigError(problems.join('; '));
  return out;
}

/** Which vendors a configuration serves, by id. */
export function configuredIds(config: VendorConfig): VendorId[] {
  return config.configured.map((c) => c.vendor.id);
}
