import { digestDeps, stores } from '../composition/deps.js';
import type { ScheduledDigestDeps } from '../features/digest/scheduled.js';
import { cachedProviders, type LambdaOptions, lambdaBase, lambdaCore } from './base.js';

/** The scheduled digest on Lambda. */
export function digestRuntime(env: NodeJS.ProcessEnv, options: LambdaOptions = {}): ScheduledDigestDeps {
  const base = lambdaBase(env, options);
  const core = lambdaCore(base);
  return digestDeps(core, { providers: cachedProviders(base), ledger: stores(core).ledger });
}
