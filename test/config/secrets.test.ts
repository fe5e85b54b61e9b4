import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsSecretStore } from '../../src/config/aws-secrets.js';
import { bundleSecret, redacting } from '../../src/config/secrets.js';
import { jsonLogger, SecretRedactor } from '../../src/log.js';
import { VENDORS } from '../../src/providers/registry.js';
import 'aws-sdk-client-mock-vitest/extend';

const SECRET_ID = 'keywarden/prod';
const bundle = {
  SLACK_SIGNING_SECRET: 'signing-secret-0123456789abcdef',
  SLACK_BOT_TOKEN: 'xoxb-bot-token-0123456789',
  IDMELON_API_KEY: 'idmelon-admin-key-v1-0123456789',
};

describe('secrets from AWS Secrets Manager', () => {
  const sm = mockClient(SecretsManagerClient);
  beforeEach(() => sm.reset());
  afterEach(() => sm.reset());

  const store = () =>
    awsSecretStore({
      secretId: SECRET_ID,
      client: new SecretsManagerClient({ region: 'eu-west-1' }),
      vendors: VENDORS.descriptors,
    });

  it('reads the JSON bundle once and caches it per container', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(bundle) });
    const s = store();
    expect((await s.get()).IDMELON_API_KEY).toBe(bundle.IDMELON_API_KEY);
    await s.get();
    expect(sm).toReceiveCommandTimes(GetSecretValueCommand, 1);
    expect(sm).toReceiveCommandWith(GetSecretValueCommand, { SecretId: SECRET_ID });
  });

  it('re-fetches a rotated key once when asked, and reports the change', async () => {
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify(bundle) })
      .resolves({
        SecretString: JSON.stringify({ ...bundle, IDMELON_API_KEY: 'idmelon-admin-key-v2-0123456789' }),
      });
    const s = store();
    const key = bundleSecret(s, (b) => b.IDMELON_API_KEY, 'IDMELON_API_KEY');
    expect(await key.get()).toBe(bundle.IDMELON_API_KEY);
    expect(await key.refresh?.()).toBe(true);
    expect(await key.get()).toBe('idmelon-admin-key-v2-0123456789');
    expect(await key.refresh?.()).toBe(false);
  });

  it('names a missing field and never prints a value', async () => {
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ SLACK_SIGNING_SECRET: bundle.SLACK_SIGNING_SECRET }),
    });
    const err = await store()
      .get()
      .catch((e: unknown) => e as Error);
    expect(err.message).toBe('secret keywarden/prod: SLACK_BOT_TOKEN is missing');
    expect(err.message).not.toContain(bundle.SLACK_SIGNING_SECRET);
  });

  it('names a malformed field without echoing it', async () => {
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ ...bundle, SLACK_BOT_TOKEN: 'not-a-token-but-secret-123' }),
    });
    const err = await store()
      .get()
      .catch((e: unknown) => e as Error);
    expect(err.message).toContain('SLACK_BOT_TOKEN must be a Slack bot token');
    expect(err.message).not.toContain('not-a-token-but-secret-123');
  });

  it('says which secret could not be read when Secrets Manager is throttled or down', async () => {
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
    );
    await expect(store().get()).rejects.toThrow(
      'could not read secret keywarden/prod from Secrets Manager (ThrottlingException)',
    );
  });

  it('refuses a secret that is not JSON, naming the position and never a fragment of it', async () => {
    // A near miss: the signing secret and bot token are there, then a stray word breaks the JSON.
    const broken = `{"SLACK_SIGNING_SECRET": "${bundle.SLACK_SIGNING_SECRET}", "SLACK_BOT_TOKEN": "${bundle.SLACK_BOT_TOKEN}" oops}`;
    sm.on(GetSecretValueCommand).resolves({ SecretString: broken });
    const lines: string[] = [];
    const log = jsonLogger({ write: (l) => lines.push(l) });
    const err = await store()
      .get()
      .catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/secret keywarden\/prod is not valid JSON \(at character \d+\)/);
    log.error('could not load the secret', { err });
    const everything = `${(err as Error).message} ${String((err as Error).cause)} ${lines.join('\n')}`;
    for (const value of [bundle.SLACK_SIGNING_SECRET, bundle.SLACK_BOT_TOKEN, 'xoxb-', 'signing-secret'])
      expect(everything).not.toContain(value);
  });

  it('registers every secret value with the log redactor as soon as it is read', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(bundle) });
    const redactor = new SecretRedactor();
    const lines: string[] = [];
    const log = jsonLogger({ write: (l) => lines.push(l), redactor });
    await redacting(store(), redactor, VENDORS.descriptors).get();
    log.error(`oops ${bundle.SLACK_BOT_TOKEN} ${bundle.IDMELON_API_KEY} ${bundle.SLACK_SIGNING_SECRET}`);
    for (const v of Object.values(bundle)) expect(lines[0]).not.toContain(v);
  });
});
