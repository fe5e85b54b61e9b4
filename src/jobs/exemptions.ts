import type { WorkerDeps } from './deps.js';

/** Live exemptions by `vendor#id`, so a stale list marks exempt keys and offers no revocation for them. */
export async function liveExemptions(deps: WorkerDeps): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!deps.policy) return out;
  const now = deps.clock.now().toISOString();
  for (const e of await deps.policy.store.exemptions())
    if (e.until > now) out.set(`${e.vendor}#${e.keyId}`, e.until);
  return out;
}
