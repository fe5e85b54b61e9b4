import type { EmfMetrics } from '../aws/emf-metrics.js';
import { digestDeps, stores } from '../composition/deps.js';
import { withInventory } from '../composition/providers.js';
import type { ScheduledDigestDeps } from '../features/digest/scheduled.js';
import { VENDORS, type VendorRegistry } from '../providers/registry.js';
import { type LambdaOptions, lambdaBase, lambdaCore } from './base.js';
import { cachedProviders } from './providers.js';

const pick = (s: ReturnType<typeof stores>) => ({ ledger: s.ledger, policy: s.policy });

/** The scheduled digest on Lambda, with its metrics (published by the handler at the end of each invocation). */
export function digestRuntime(
  env: NodeJS.ProcessEnv,
  options: LambdaOptions & { vendors?: VendorRegistry } = {},
): ScheduledDigestDeps & { metrics: EmfMetrics } {
  const base = lambdaBase(env, options);
  const core = lambdaCore(base);
  const built = stores(core);
  const vendors = cachedProviders(base, options.vendors ?? VENDORS);
  const deps = digestDeps(core, {
    // Stale keys are listed from the inventory while it is fresh, as `/keys stale` lists them.
    providers: async () =>
      withInventory(await vendors(), {
        inventory: built.inventory,
        maxAgeMs: core.settings.inventoryMaxAgeMs,
        clock: core.clock,
        logger: core.logger,
      }),
    ...pick(built),
  });
  return { ...deps, metrics: base.metrics };
}
