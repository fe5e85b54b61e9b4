import type { Sleep } from '../../domain/clock.js';
import type { Metrics } from '../../domain/metrics.js';
import type { Provider } from '../../domain/provider.js';
import type { SecretSource } from '../../http/credentials.js';
import { headerCredentials } from '../../http/credentials.js';
import { JsonClient } from '../../http/json-client.js';
import type { RetryPolicy } from '../../http/retry.js';
import type { Transport } from '../../http/transport.js';
import type { Logger } from '../../log.js';
import { IdmelonClient } from './client.js';
import { IDMELON } from './info.js';
import { IdmelonInventory } from './inventory.js';
import { IdmelonProvider, type IdmelonProviderOptions } from './provider.js';

export interface IdmelonWiring extends IdmelonProviderOptions {
  baseUrl: string;
  /** The Admin API key; refreshed once when IDmelon answers 401 (a rotated key). */
  apiKey: SecretSource;
  transport: Transport;
  logger?: Logger;
  metrics?: Metrics;
  requestTimeoutMs?: number;
  retry?: RetryPolicy;
  sleep?: Sleep;
}

/** IDmelon's raw API key goes in `Authorization` with no "Bearer" prefix, as its docs say. */
export function createIdmelonProvider(w: IdmelonWiring): IdmelonProvider {
  const http = new JsonClient({
    vendor: IDMELON.id,
    label: IDMELON.label,
    baseUrl: w.baseUrl,
    transport: w.transport,
    credentials: headerCredentials('authorization', w.apiKey),
    requestTimeoutMs: w.requestTimeoutMs,
    retry: w.retry,
    sleep: w.sleep,
    logger: w.logger,
    metrics: w.metrics,
  });
  return new IdmelonProvider(new IdmelonClient(http), w);
}

export { IdmelonClient, IdmelonInventory, IdmelonProvider };

/** IDmelon's inventory source, reading through the client of the provider its descriptor built. */
export function createIdmelonInventory(provider: Provider): IdmelonInventory {
  if (!(provider instanceof IdmelonProvider))
    throw new TypeError(`IDmelon's inventory reads through IDmelon's provider, not ${provider.label}'s`);
  return new IdmelonInventory(provider.client);
}
