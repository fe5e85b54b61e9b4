import { context, type Message, section } from '../blocks/kit.js';
import type { Progress, Provider, VendorId } from '../domain/provider.js';
import { ConfigError } from '../http/errors.js';
import type { Replier } from '../slack/replier.js';
import type { WorkerDeps } from './deps.js';

/** What the report jobs (stale scans, lookups, digest previews) share: the vendors, and progress messages. */

/** The configured vendors, or a plain error when there are none. */
export async function configuredProviders(deps: WorkerDeps): Promise<Provider[]> {
  const providers = await deps.providers();
  if (providers.length === 0)
    throw new ConfigError('no vendor is configured (the secret holds no vendor credentials)');
  return providers;
}

/** Progress messages for long scans: the first after `progressAfterMs`, then at most every 5 s. */
export function progressFeed(replier: Replier, deps: WorkerDeps, title: string) {
  const now = () => deps.clock.now().getTime();
  const started = now();
  const after = deps.progressAfterMs ?? 3000;
  let last = 0;
  let inFlight: Promise<void> | undefined;
  const latest = new Map<VendorId, Progress>();
  return {
    onProgress(vendor: VendorId, p: Progress) {
      latest.set(vendor, p);
      const at = now();
      if (at - started < after || at - last < 5000 || inFlight) return;
      last = at;
      const lines = [...latest.entries()].map(
        ([v, q]) =>
          `${v}: ${q.phase} ${q.done.toLocaleString('en-US')}${q.total === undefined ? '' : ` of ${q.total.toLocaleString('en-US')}`}`,
      );
      const msg: Message = {
        text: title,
        blocks: [section(`:hourglass_flowing_reduced: ${title}`), context(lines.join(' · '))],
      };
      inFlight = replier.progress(msg).finally(() => {
        inFlight = undefined;
      });
    },
    /** Lets a progress post finish before the result replaces it (otherwise it could land after the result). */
    settle: () => inFlight ?? Promise.resolve(),
  };
}
