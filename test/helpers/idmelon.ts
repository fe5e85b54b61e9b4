import {
  type IdmelonSandbox,
  type IdmelonSandboxOptions,
  startIdmelonSandbox,
} from '../../sandbox/idmelon/index.js';
import { fixedClock } from '../../src/domain/clock.js';
import { staticSecret } from '../../src/http/credentials.js';
import type { RetryPolicy } from '../../src/http/retry.js';
import { type Transport, undiciTransport } from '../../src/http/transport.js';
import { createIdmelonProvider, type IdmelonWiring } from '../../src/providers/idmelon/index.js';
import type { IdmelonProvider } from '../../src/providers/idmelon/provider.js';

/** Every test's "now": sandbox data and the services' clock agree on it. */
export const NOW = new Date('2026-11-23T12:00:00.000Z');
export const clock = fixedClock(NOW);

/** Backoff steps small enough that retries do not slow the suite; the policy's shape is unchanged. */
export const fastRetry: RetryPolicy = {
  retries: 3,
  baseDelayMs: 5,
  maxDelayMs: 50,
  doNotRetry: [400, 401, 403, 404, 409, 422],
};

export interface IdmelonHarness {
  sandbox: IdmelonSandbox;
  provider: IdmelonProvider;
  transport: Transport;
  /** Delays the client asked to sleep for, in order (Retry-After and backoff). */
  sleeps: number[];
  close(): Promise<void>;
}

/**
 * A real IDmelon sandbox on loopback and a real provider talking to it over undici. Sleeps are recorded and
 * skipped, so a Retry-After of 2 s is asserted without waiting 2 s.
 */
export async function idmelonHarness(
  sandboxOptions: IdmelonSandboxOptions = {},
  wiring: Partial<IdmelonWiring> = {},
): Promise<IdmelonHarness> {
  const sandbox = await startIdmelonSandbox({ now: NOW, ...sandboxOptions });
  const transport = undiciTransport();
  const sleeps: number[] = [];
  const provider = createIdmelonProvider({
    baseUrl: sandbox.url,
    apiKey: staticSecret(sandbox.apiKey),
    transport,
    retry: fastRetry,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...wiring,
  });
  return {
    sandbox,
    provider,
    transport,
    sleeps,
    close: async () => {
      await transport.close();
      await sandbox.close();
    },
  };
}
