import { digestDeps, stores } from '../composition/deps.js';
import type { ScheduledDigestDeps } from '../features/digest/scheduled.js';
import { VENDORS, type VendorRegistry } from '../providers/registry.js';
import { type LambdaOptions, lambdaBase, lambdaCore } from './base.js';
import { cachedProviders } from './providers.js';

/** The scheduled digest on Lambda. */
const pick = (s: ReturnType<typeof stores>) => ({ ledger: s.ledger, policy: s.policy });

export function digestRuntime(
  env: NodeJS.ProcessEnv,
  options: LambdaOptions & { vendors?: VendorRegistry } = {},
): ScheduledDigestDeps {
  const base = lambdaBase(env, options);
  const core = lambdaCore(base);
  return digestDeps(core, {
    providers: cachedProviders(base, options.vendors ?? VENDORS),
    ...pick(stores(core)),
  });
}
