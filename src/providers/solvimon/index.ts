import type { Sleep } from '../../domain/clock.js';
import type { Metrics } from '../../domain/metrics.js';
import type { Provider } from '../../domain/provider.js';
import { headerCredentials, type SecretSource } from '../../http/credentials.js';
import { JsonClient } from '../../http/json-client.js';
import type { RetryPolicy } from '../../http/retry.js';
import type { Transport } from '../../http/transport.js';
import type { Logger } from '../../log.js';
import { SolvimonClient } from './client.js';
import { SOLVIMON } from './info.js';
import { SolvimonInventory } from './inventory.js';
import { SolvimonProvider } from './provider.js';

export interface SolvimonWiring {
  baseUrl: string;
  apiKey: SecretSource;
  platformId?: string;
  transport: Transport;
  deactivateBody?: Record<string, unknown>;
  logger?: Logger;
  metrics?: Metrics;
  requestTimeoutMs?: number;
  retry?: RetryPolicy;
  sleep?: Sleep;
}

/** `X-API-KEY` on every request, and `x-platform-id` when one is configured. */
export function createSolvimonProvider(w: SolvimonWiring): SolvimonProvider {
  const key = headerCredentials('x-api-key', w.apiKey);
  const http = new JsonClient({
    vendor: SOLVIMON.id,
    label: SOLVIMON.label,
    baseUrl: w.baseUrl,
    transport: w.transport,
    credentials: {
      headers: async () => ({
        ...(await key.headers()),
        ...(w.platformId ? { 'x-platform-id': w.platformId } : {}),
      }),
      refresh: key.refresh,
    },
    requestTimeoutMs: w.requestTimeoutMs,
    retry: w.retry,
    sleep: w.sleep,
    logger: w.logger,
    metrics: w.metrics,
  });
  return new SolvimonProvider(new SolvimonClient(http), { deactivateBody: w.deactivateBody });
}

export { SolvimonClient, SolvimonInventory, SolvimonProvider };

/** Solvimon's inventory source, reading through the client of the provider its descriptor built. */
export function createSolvimonInventory(provider: Provider): SolvimonInventory {
  if (!(provider instanceof SolvimonProvider))
    throw new TypeError(`Solvimon's inventory reads through Solvimon's provider, not ${provider.label}'s`);
  return new SolvimonInventory(provider.client);
}
