import type { CallOptions, JsonClient } from '../../http/json-client.js';
import { pathSegment } from '../../http/path.js';
import { apiKeyListSchema, apiKeySchema, keysOf } from './schemas.js';

/** The host Solvimon's docs show (their test environment); production deployments set SOLVIMON_BASE_URL. */
export const SOLVIMON_DEFAULT_BASE_URL = 'https://test.api.solvimon.com';
const VERSION = '/v1';

const id = pathSegment;

/**
 * Solvimon's API key endpoints. There is deliberately no method for "Get a decrypted API key by id": Keywarden
 * must never hold a key's secret.
 */
export class SolvimonClient {
  constructor(readonly http: JsonClient) {}

  async list(call?: CallOptions) {
    return keysOf(
      await this.http.request({ method: 'GET', path: `${VERSION}/api-keys` }, apiKeyListSchema, call),
    );
  }

  async search(filter: { resource_id?: string; username?: string; user_type?: string }, call?: CallOptions) {
    return keysOf(
      await this.http.request(
        { method: 'POST', path: `${VERSION}/api-keys/search`, body: filter, idempotent: true },
        apiKeyListSchema,
        call,
      ),
    );
  }

  get(keyId: string, call?: CallOptions) {
    return this.http.request({ method: 'GET', path: `${VERSION}/api-keys/${id(keyId)}` }, apiKeySchema, call);
  }

  patch(keyId: string, body: Record<string, unknown>, call?: CallOptions) {
    return this.http.request(
      { method: 'PATCH', path: `${VERSION}/api-keys/${id(keyId)}`, body },
      apiKeySchema,
      call,
    );
  }
}
