import { type Clock, systemClock } from '../../domain/clock.js';
import type { SecretSource } from '../../http/credentials.js';
import type { Credentials, JsonClient } from '../../http/json-client.js';
import { tokenSchema } from './schemas.js';

/** Refresh this long before `expires_in` runs out, so a token never expires mid-request. */
const EARLY_REFRESH_MS = 60_000;

/**
 * OAuth2 client credentials for TryMellon (`POST /oauth/token`). The token is cached until shortly before it
 * expires; concurrent requests share one fetch; after a 401 a new token is fetched once (and the client secret
 * re-read, in case it was rotated). Every token is handed to `onToken` so the logger can redact it.
 */
export class OAuthCredentials implements Credentials {
  private token: { value: string; until: number } | undefined;
  private fetching: Promise<string> | undefined;

  constructor(
    private readonly tokenClient: JsonClient,
    private readonly clientId: SecretSource,
    private readonly clientSecret: SecretSource,
    private readonly options: { clock?: Clock; onToken?: (token: string) => void } = {},
  ) {}

  private now(): number {
    return (this.options.clock ?? systemClock).now().getTime();
  }

  async headers(): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.current()}` };
  }

  async refresh(): Promise<boolean> {
    this.token = undefined;
    await this.clientSecret.refresh?.();
    await this.clientId.refresh?.();
    await this.current();
    return true;
  }

  private current(): Promise<string> {
    if (this.token && this.now() < this.token.until) return Promise.resolve(this.token.value);
    this.fetching ??= this.fetchToken().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private async fetchToken(): Promise<string> {
    const clientSecret = await this.clientSecret.get();
    const res = await this.tokenClient.request(
      {
        method: 'POST',
        path: '/oauth/token',
        // Asking for another token is harmless, so an unreadable answer is retried.
        idempotent: true,
        body: {
          client_id: await this.clientId.get(),
          client_secret: clientSecret,
          grant_type: 'client_credentials',
        },
        // The secret travels in the body here, so the HTTP layer cannot see it in the headers.
        secrets: [clientSecret],
      },
      tokenSchema,
    );
    this.options.onToken?.(res.access_token);
    this.token = {
      value: res.access_token,
      until: this.now() + Math.max(0, res.expires_in * 1000 - EARLY_REFRESH_MS),
    };
    return res.access_token;
  }
}
