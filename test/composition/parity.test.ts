import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { lambdaVendorConfig, loadLocalConfig } from '../../src/composition/config.js';
import { settingsSchema } from '../../src/config/settings.js';
import { Deadline } from '../../src/domain/deadline.js';
import { vendorSettingsTable, vendorTable } from '../../src/providers/docs.js';
import { VENDORS } from '../../src/providers/registry.js';
import { lambdaBase } from '../../src/runtime/base.js';
import { providersFromSecrets } from '../../src/runtime/providers.js';
import { clock } from '../helpers/idmelon.js';

/**
 * Every documented setting is read by the one pipeline and means the same on Lambda as in `npm start` and the CLI.
 */
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Read by an entry point itself, not by the settings pipeline: where to listen, which secret, which Slack. */
const ENTRY_POINT = [
  'PORT',
  'SLACK_SIGNING_SECRET',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_API_URL',
  'KEYWARDEN_SECRET_ID',
];

/** A valid value other than the default, for each KEYWARDEN_* setting. */
const SAMPLES: Record<string, string> = {
  KEYWARDEN_ADMINS: 'U0ADMIN01',
  KEYWARDEN_ADMIN_GROUP: 'S0ADMINS1',
  KEYWARDEN_APPROVERS: 'U0APPROVE1',
  KEYWARDEN_APPROVER_GROUP: 'S0APPROVE1',
  KEYWARDEN_APPROVALS_CHANNEL: 'C0APPROVALS',
  KEYWARDEN_AUDIT_CHANNEL: 'C0AUDIT',
  KEYWARDEN_AUDIT_BUCKET: 'keywarden-prod-audit-archive',
  KEYWARDEN_SECURITY_CHANNEL: 'C0SECURITY',
  KEYWARDEN_DRY_RUN: 'true',
  KEYWARDEN_REQUIRE_REAL: 'true',
  KEYWARDEN_REQUEST_TTL_HOURS: '48',
  KEYWARDEN_RETENTION_DAYS: '30',
  KEYWARDEN_DIGEST_CHANNEL: 'C0DIGEST',
  KEYWARDEN_TIMEZONE: 'Europe/Paris',
  KEYWARDEN_STALE_DAYS: '30',
  KEYWARDEN_TABLE: 'keywarden-test',
  KEYWARDEN_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/keywarden',
  KEYWARDEN_MAX_JOBS_PER_USER: '2',
  KEYWARDEN_MAX_JOBS: '10',
  KEYWARDEN_LOG_LEVEL: 'debug',
  KEYWARDEN_HTTP_TIMEOUT_MS: '2500',
  KEYWARDEN_POLICIES_FILE: 'config/policies.yml',
  KEYWARDEN_INVENTORY_MAX_AGE: '30m',
  KEYWARDEN_INVENTORY_RATE: '12',
  KEYWARDEN_INVENTORY_CONCURRENCY: '4',
};

const VENDOR_SAMPLES: Record<string, string> = {
  IDMELON_API_KEY: 'idmelon-parity-key-0123',
  IDMELON_BASE_URL: 'https://skm.idmelon.acme.example',
  IDMELON_REGION: 'eu',
  TRYMELLON_CLIENT_ID: 'trymellon-parity-client',
  TRYMELLON_CLIENT_SECRET: 'trymellon-parity-secret-0123',
  TRYMELLON_BASE_URL: 'https://trymellon.acme.example',
  SOLVIMON_API_KEY: 'solvimon-parity-key-0123',
  SOLVIMON_BASE_URL: 'https://solvimon.acme.example',
  SOLVIMON_PLATFORM_ID: 'platform-1',
  SOLVIMON_DEACTIVATE_BODY: '{"status":"DISABLED"}',
};

const SLACK = { SLACK_SIGNING_SECRET: 'parity-signing-secret-0123', SLACK_BOT_TOKEN: 'xoxb-parity-0123' };
const lambdaEnv = (extra: Record<string, string> = {}) => ({
  KEYWARDEN_SECRET_ID: 'keywarden/test',
  ...extra,
});

const sm = mockClient(SecretsManagerClient);
afterEach(() => sm.reset());
const secretHolds = (bundle: Record<string, string>) =>
  sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ ...SLACK, ...bundle }) });
const lambda = (env: Record<string, string>) =>
  lambdaBase(lambdaEnv(env), { secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }) });

describe('one settings pipeline', () => {
  it('the README documents exactly the settings Keywarden reads, and its vendor tables are the registry’s', () => {
    const documented = new Set([...README.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1]));
    const read = new Set([
      ...Object.keys(settingsSchema.shape),
      ...VENDORS.descriptors.flatMap((v) => Object.keys(v.fields)),
      ...ENTRY_POINT,
    ]);
    expect([...documented].filter((n) => !read.has(n as string))).toEqual([]);
    expect([...read].filter((n) => !documented.has(n))).toEqual([]);
    expect(README).toContain(vendorTable(VENDORS));
    expect(README).toContain(vendorSettingsTable(VENDORS));
  });

  it('covers every KEYWARDEN_* setting in this test', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(settingsSchema.shape).sort());
    expect(Object.keys(VENDOR_SAMPLES).sort()).toEqual(
      VENDORS.descriptors.flatMap((v) => Object.keys(v.fields)).sort(),
    );
  });

  for (const [name, value] of Object.entries(SAMPLES)) {
    it(`${name} means the same on Lambda and locally`, () => {
      const local = loadLocalConfig({ [name]: value }, VENDORS).settings;
      const onLambda = lambda({ [name]: value }).settings;
      expect(onLambda).toEqual(local);
      // …and it is read at all: the value moves the settings away from the defaults.
      expect(local).not.toEqual(loadLocalConfig({}, VENDORS).settings);
    });
  }

  for (const [name, value] of Object.entries(VENDOR_SAMPLES)) {
    it(`${name} means the same from the Lambda secret, the Lambda environment and the local environment`, async () => {
      const vendor = VENDORS.descriptors.find((v) => name in v.fields);
      if (!vendor) throw new Error(`no vendor has ${name}`);
      // A field is read with its vendor's required credentials beside it.
      const fields = Object.fromEntries(vendor.required.map((r) => [r, VENDOR_SAMPLES[r] as string]));
      fields[name] = value;
      const fieldIn = (config: Awaited<ReturnType<typeof lambdaVendorConfig>>) =>
        config.configured.find((c) => c.vendor.id === vendor.id)?.settings.value(name);
      const local = fieldIn(loadLocalConfig(fields, VENDORS).vendors);
      secretHolds(fields);
      const base = lambda({});
      const fromSecret = fieldIn(await lambdaVendorConfig(base.secrets, base.env, VENDORS));
      sm.reset();
      const { [name]: _moved, ...rest } = fields;
      secretHolds(rest);
      const withEnv = lambda({ [name]: value });
      const fromEnv = fieldIn(await lambdaVendorConfig(withEnv.secrets, withEnv.env, VENDORS));
      expect(local).toBe(value);
      expect(fromSecret).toBe(value);
      expect(fromEnv).toBe(value);
    });
  }

  describe('KEYWARDEN_HTTP_TIMEOUT_MS reaches the vendor clients', () => {
    // A vendor that accepts requests and never answers: each attempt ends at the configured timeout.
    let server: Server;
    let url: string;
    let attempts = 0;
    beforeAll(async () => {
      server = createServer(() => {
        attempts++;
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });

    it('on Lambda', async () => {
      attempts = 0;
      secretHolds({ IDMELON_API_KEY: 'idmelon-parity-key-0123', IDMELON_BASE_URL: url });
      const base = lambda({ KEYWARDEN_HTTP_TIMEOUT_MS: '100' });
      const [idmelon] = await providersFromSecrets(base, VENDORS);
      const started = Date.now();
      await expect(
        idmelon?.findUsers('alice', { deadline: Deadline.after(5_000), meter: { requests: 0 } }),
      ).rejects.toThrow(/within 100 ms/);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(attempts).toBeGreaterThanOrEqual(2);
    });

    it('locally (the CLI and npm start build vendors the same way)', async () => {
      attempts = 0;
      let stderr = '';
      await runCli(['user', 'lookup', 'alice'], {
        stdout: () => undefined,
        stderr: (t) => {
          stderr += t;
        },
        env: {
          IDMELON_API_KEY: 'idmelon-parity-key-0123',
          IDMELON_BASE_URL: url,
          KEYWARDEN_HTTP_TIMEOUT_MS: '100',
        },
        clock,
      });
      expect(stderr).toContain('IDmelon');
      expect(attempts).toBeGreaterThanOrEqual(2);
    });
  });
});
