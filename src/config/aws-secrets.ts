import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../http/errors.js';
import type { VendorSpec } from '../providers/descriptor.js';
import { parseSecretBundle, type SecretBundle, type SecretStore } from './secrets.js';

export interface AwsSecretStoreOptions {
  secretId: string;
  client: SecretsManagerClient;
  /** The vendors whose fields the secret may hold. */
  vendors: readonly VendorSpec[];
  /** Seconds a fetched secret is trusted before it is read again. @default 300 */
  maxAgeSeconds?: number;
}

/**
 * The secret bundle from AWS Secrets Manager, through Powertools Parameters: cached per container for
 * `maxAgeSeconds`, JSON-parsed, then validated. `refresh` forces a fetch (a vendor answered 401: the key may have
 * been rotated). Errors name the secret and the missing field, never a value.
 */
export function awsSecretStore(options: AwsSecretStoreOptions): SecretStore {
  const provider = new SecretsProvider({ awsSdkV3Client: options.client });
  const maxAge = options.maxAgeSeconds ?? 300;
  const read = async (forceFetch: boolean): Promise<SecretBundle> => {
    let text: unknown;
    try {
      text = await provider.get(options.secretId, { maxAge, forceFetch });
    } catch (err) {
      // Powertools wraps the SDK's error; the SDK's name (ThrottlingException, AccessDeniedException) says more.
      const cause = (err as Error).cause;
      const name = cause instanceof Error ? cause.name : (err as Error).name;
      throw new ConfigError(`could not read secret ${options.secretId} from Secrets Manager (${name})`, {
        cause: err,
      });
    }
    return parseSecretBundle(
      parseSecretJson(text, options.secretId),
      `secret ${options.secretId}`,
      options.vendors,
      ['SLACK_BOT_TOKEN'],
    );
  };
  return { get: () => read(false), refresh: () => read(true) };
}

/**
 * JSON.parse quotes the text around a syntax error in its message ("…"{\"SLACK_BOT_TOKEN\": \"xoxb-…" is not valid
 * JSON"), and that text is the secret. Only the position is kept; the parser's error is not even kept as a cause.
 */
export function parseSecretJson(text: unknown, secretId: string): unknown {
  if (typeof text !== 'string') {
    throw new ConfigError(`secret ${secretId} is not a JSON string (a binary secret is not supported)`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const position = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new ConfigError(
      `secret ${secretId} is not valid JSON${position ? ` (at character ${position})` : ''}; its content is not shown`,
    );
  }
}
