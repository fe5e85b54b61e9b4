import { describe, expect, it } from 'vitest';
import { loadLocalConfig } from '../../src/config/env.js';
import { ConfigError } from '../../src/http/errors.js';

describe('local configuration', () => {
  it('uses the embedded sandbox when IDmelon is not configured', () => {
    expect(loadLocalConfig({})).toMatchObject({
      idmelon: { mode: 'sandbox' },
      logLevel: 'info',
      httpTimeoutMs: 10_000,
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadLocalConfig({ IDMELON_BASE_URL: '', IDMELON_API_KEY: '  ' }).idmelon).toEqual({
      mode: 'sandbox',
    });
  });

  it('defaults to the US host when only the API key is set', () => {
    expect(loadLocalConfig({ IDMELON_API_KEY: 'k' }).idmelon).toEqual({
      mode: 'remote',
      baseUrl: 'https://skm.idmelon.com',
      apiKey: 'k',
    });
  });

  it('picks the EU host from IDMELON_REGION, and an explicit base URL over both', () => {
    expect(loadLocalConfig({ IDMELON_API_KEY: 'k', IDMELON_REGION: 'eu' }).idmelon).toMatchObject({
      baseUrl: 'https://skm.eu.idmelon.com',
    });
    expect(
      loadLocalConfig({
        IDMELON_API_KEY: 'k',
        IDMELON_REGION: 'eu',
        IDMELON_BASE_URL: 'https://skm.idmelon.acme.com',
      }).idmelon,
    ).toMatchObject({ baseUrl: 'https://skm.idmelon.acme.com' });
  });

  it('requires the API key when a host is configured', () => {
    expect(() => loadLocalConfig({ IDMELON_BASE_URL: 'https://skm.idmelon.com' })).toThrow(
      'IDMELON_API_KEY is required when IDMELON_BASE_URL or IDMELON_REGION is set',
    );
  });

  it('names every invalid variable and never echoes a value', () => {
    const secretish = 'not a url but maybe-a-secret-123456';
    const err = (() => {
      try {
        loadLocalConfig({
          IDMELON_BASE_URL: secretish,
          IDMELON_REGION: 'mars',
          KEYWARDEN_HTTP_TIMEOUT_MS: '0',
        });
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
