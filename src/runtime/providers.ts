import { lambdaVendorConfig } from '../composition/config.js';
import { buildInventorySources, buildProviders } from '../composition/providers.js';
import type { InventorySource } from '../domain/inventory.js';
import type { Provider } from '../domain/provider.js';
import { type Transport, undiciTransport } from '../http/transport.js';
import type { VendorRegistry } from '../providers/descriptor.js';
import type { LambdaBase } from './base.js';

/*
 * Building vendors on Lambda, for the functions that call them (the worker and the digest); the Slack function
 * does not import this module, so it carries no vendor client and no HTTP stack.
 */

/** Vendors from the secret (then the environment): one provider per vendor whose settings are present. */
export async function providersFromSecrets(
  base: LambdaBase,
  registry: VendorRegistry,
  transport: Transport = undiciTransport(),
): Promise<Provider[]> {
  return (await vendorsFromSecrets(base, registry, transport)).providers;
}

/** The providers, and each one's inventory source over the same client (so credentials are fetched once). */
async function vendorsFromSecrets(
  base: LambdaBase,
  registry: VendorRegistry,
  transport: Transport,
): Promise<{ providers: Provider[]; sources: InventorySource[] }> {
  const config = await lambdaVendorConfig(base.secrets, base.env, registry);
  const providers = buildProviders(config, {
    transport,
    logger: base.logger,
    metrics: base.metrics,
    requestTimeoutMs: base.settings.httpTimeoutMs,
    redact: (value) => base.redactor.add(value),
  });
  return { providers, sources: buildInventorySources(config, providers) };
}

/**
 * The vendors and their inventory sources, built once per container on first use (so a warm container keeps its
 * HTTP connections and the user directory); a failed build is not kept, so the next invocation tries again.
 */
export function cachedVendors(
  base: LambdaBase,
  registry: VendorRegistry,
  transport: Transport = undiciTransport(),
): { providers: () => Promise<Provider[]>; sources: () => Promise<InventorySource[]> } {
  let built: ReturnType<typeof vendorsFromSecrets> | undefined;
  const build = () => {
    built ??= vendorsFromSecrets(base, registry, transport).catch((err: unknown) => {
      built = undefined;
      throw err;
    });
    return built;
  };
  return {
    providers: async () => (await build()).providers,
    sources: async () => (await build()).sources,
  };
}

/** The vendors alone, cached as `cachedVendors` caches them (the digest). */
export function cachedProviders(
  base: LambdaBase,
  registry: VendorRegistry,
  transport?: Transport,
): () => Promise<Provider[]> {
  return cachedVendors(base, registry, transport).providers;
}
