import { describe, expect, it } from 'vitest';
import { loadLocalConfig } from '../../src/composition/config.js';
import { ConfigError } from '../../src/http/errors.js';
import { VENDORS } from '../../src/providers/registry.js';

const load = (env: NodeJS.ProcessEnv) => loadLocalConfig(env, VENDORS);
const configured = (env: NodeJS.ProcessEnv) =>
  Object.fromEntries(
    load(env).vendors.configured.map((c) => [
      c.vendor.id,
      Object.fromEntries(Object.keys(c.vendor.fields).map((n) => [n, c.settings.value(n)])),
    ]),
  );

describe('local configuration', () => {
  it('leaves every vendor to its embedded sandbox when none is configured, with the documented defaults', () => {
    const config = load({});
    expect(config.vendors.configured).toEqual([]);
    expect(config.vendors.unconfigured.map((v) => v.id)).toEqual(['idmelon', 'trymellon', 'solvimon']);
    expect(config.settings).toMatchObject({ logLevel: 'info', httpTimeoutMs: 10_000 });
  });

  it('treats empty variables as unset', () => {
    expect(configured({ IDMELON_BASE_URL: '', IDMELON_API_KEY: '  ' })).toEqual({});
  });

  it('reads each vendor through its descriptor and keeps credentials for the redactor', () => {
    const config = load({
      IDMELON_API_KEY: 'k',
      IDMELON_REGION: 'eu',
      TRYMELLON_CLIENT_ID: 'c',
      TRYMELLON_CLIENT_SECRET: 's',
    });
    expect(config.vendors.configured.map((c) => c.vendor.id)).toEqual(['idmelon', 'trymellon']);
    expect(config.vendors.secrets.sort()).toEqual(['c', 'k', 's']);
    expect(configured({ IDMELON_API_KEY: 'k', IDMELON_REGION: 'eu' }).idmelon).toMatchObject({
      IDMELON_API_KEY: 'k',
      IDMELON_REGION: 'eu',
    });
  });

  it('requires the credential when a host is configured, naming what is set', () => {
    expect(() => load({ IDMELON_BASE_URL: 'https://skm.idmelon.com' })).toThrow(
      'IDMELON_API_KEY is required to use IDmelon when IDMELON_BASE_URL is set',
    );
    expect(() => load({ TRYMELLON_CLIENT_ID: 'c' })).toThrow(
      'TRYMELLON_CLIENT_SECRET is required to use TryMellon',
    );
  });

  it('does not take an option alone for a connection: SOLVIMON_DEACTIVATE_BODY keeps Solvimon on its sandbox', () => {
    expect(load({ SOLVIMON_DEACTIVATE_BODY: '{"status":"INACTIVE"}' }).vendors.configured).toEqual([]);
    expect(() => load({ SOLVIMON_DEACTIVATE_BODY: '[1]' })).toThrow(
      'SOLVIMON_DEACTIVATE_BODY must be a JSON object such as {"status":"INACTIVE"}',
    );
  });

  it('names every invalid variable, settings and vendors together, and never echoes a value', () => {
    const secretish = 'not a url but maybe-a-secret-123456';
    const err = (() => {
      try {
        load({ IDMELON_BASE_URL: secretish, IDMELON_REGION: 'mars', KEYWARDEN_HTTP_TIMEOUT_MS: '0' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toContain('IDMELON_BASE_URL must be an http(s) URL');
    expect(message).toContain('IDMELON_REGION must be "us" or "eu"');
    expect(message).toContain('KEYWARDEN_HTTP_TIMEOUT_MS must be from 1 to 120000');
    expect(message).not.toContain(secretish);
    expect(message).not.toContain('mars');
  });
});
