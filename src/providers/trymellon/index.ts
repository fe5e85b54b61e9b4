import type { Sleep } from '../../domain/clock.js';
import type { Metrics } from '../../domain/metrics.js';
import type { Provider } from '../../domain/provider.js';
import type { SecretSource } from '../../http/credentials.js';
import { JsonClient } from '../../http/json-client.js';
import type { RetryPolicy } from '../../http/retry.js';
import type { Transport } from '../../http/transport.js';
import type { Logger } from '../../log.js';
import { TryMellonClient } from './client.js';
import { TRYMELLON } from './info.js';
import { TryMellonInventory } from './inventory.js';
import { TryMellonProvider } from './provider.js';
import { OAuthCredentials } from './token.js';

export interface TryMellonWiring {
  baseUrl: string;
  clientId: SecretSource;
  clientSecret: SecretSource;
  transport: Transport;
  logger?: Logger;
  metrics?: Metrics;
  requestTimeoutMs?: number;
  retry?: RetryPolicy;
  sleep?: Sleep;
  /** Each access token, so the log redactor can scrub it. */
  onToken?: (token: string) => void;
  concurrency?: number;
}

export function createTryMellonProvider(w: TryMellonWiring): TryMellonProvider {
  const common = {
    vendor: TRYMELLON.id,
    label: TRYMELLON.label,
    baseUrl: w.baseUrl,
    transport: w.transport,
    requestTimeoutMs: w.requestTimeoutMs,
    retry: w.retry,
    sleep: w.sleep,
    logger: w.logger,
    metrics: w.metrics,
  };
  const tokenClient = new JsonClient({ ...common, credentials: { headers: async () => ({}) } });
  const credentials = new OAuthCredentials(tokenClient, w.clientId, w.clientSecret, { onToken: w.onToken });
  return new TryMellonProvider(new TryMellonClient(new JsonClient({ ...common, credentials })), {
    concurrency: w.concurrency,
  });
}

export { TryMellonClient, TryMellonInventory, TryMellonProvider };

/** TryMellon's inventory source, reading through the client of the provider its descriptor built. */
export function createTryMellonInventory(provider: Provider): TryMellonInventory {
  if (!(provider instanceof TryMellonProvider))
    throw new TypeError(`TryMellon's inventory reads through TryMellon's provider, not ${provider.label}'s`);
  return new TryMellonInventory(provider.client);
}
