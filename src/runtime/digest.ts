import type { EmfMetrics } from '../aws/emf-metrics.js';
import { digestDeps, stores } from '../composition/deps.js';
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
  const deps = digestDeps(core, {
    providers: cachedProviders(base, options.vendors ?? VENDORS),
    ...pick(built),
    // Stale keys are listed from the inventory while it is fresh, as `/keys stale` lists them.
    inventory: built.inventory,
  });
  return { ...deps, metrics: base.metrics };
}
