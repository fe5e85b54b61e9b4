import type { Credentials } from './json-client.js';

/** A secret that may be rotated: `get` returns the current value, `refresh` re-reads it and says if it changed. */
export interface SecretSource {
  get(): Promise<string>;
  refresh?(): Promise<boolean>;
}

export function staticSecret(value: string): SecretSource {
  return { get: async () => value };
}

/** A raw value in a header (IDmelon's `Authorization: <key>`, Solvimon's `X-API-KEY`). */
export function headerCredentials(header: string, secret: SecretSource): Credentials {
  return {
    headers: async () => ({ [header]: await secret.get() }),
    refresh: secret.refresh ? () => secret.refresh?.() ?? Promise.resolve(false) : undefined,
  };
}
