import { bundleSecret, type SecretStore } from '../config/secrets.js';
import { loadSettings, type Settings } from '../config/settings.js';
import { readVendorConfig, type VendorConfig } from '../config/vendors.js';
import { ConfigError } from '../http/errors.js';
import type { VendorDescriptor, VendorRegistry, VendorSpec } from '../providers/descriptor.js';

/**
 * The one settings pipeline. `KEYWARDEN_*` settings are always read from the environment by `loadSettings`; vendor
 * settings are read by `readVendorConfig`, from the environment locally and from the Secrets Manager secret (then
 * the environment) on Lambda. Both paths validate with the same schemas and apply the same defaults.
 */
export interface LocalConfig {
  settings: Settings;
  vendors: VendorConfig<VendorDescriptor>;
}

/** Everything from the environment (`npm start`, the CLI). Every problem is named at once, never a value. */
export function loadLocalConfig(env: NodeJS.ProcessEnv, registry: VendorRegistry): LocalConfig {
  const problems: string[] = [];
  let settings: Settings | undefined;
  let vendors: VendorConfig<VendorDescriptor> | undefined;
  try {
    settings = loadSettings(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(err.message);
  }
  try {
    vendors = readVendorConfig(registry.descriptors, { read: (name) => env[name] });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(err.message);
  }
  if (!settings || !vendors) throw new ConfigError(problems.join('; '));
  return { settings, vendors };
}

/**
 * Vendor settings on Lambda: each field from the secret, or from the function's environment when the secret does
 * not hold it. Credentials in the secret are re-read when a vendor answers 401 (it may have been rotated).
 */
export async function lambdaVendorConfig<D extends VendorSpec>(
  secrets: SecretStore,
  env: NodeJS.ProcessEnv,
  registry: VendorRegistry<D>,
): Promise<VendorConfig<D>> {
  const bundle = await secrets.get();
  const inBundle = (name: string) => bundle[name] !== undefined && bundle[name] !== '';
  return readVendorConfig(registry.descriptors, {
    read: (name) => (inBundle(name) ? bundle[name] : env[name]),
    secret: (name, value) =>
      inBundle(name) ? bundleSecret(secrets, (b) => b[name], name) : { get: async () => value },
  });
}
