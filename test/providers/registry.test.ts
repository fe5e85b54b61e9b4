import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { cliUsage, EXIT_OK, runCli } from '../../src/cli/run.js';
import { keysUsage, parseKeysCommand } from '../../src/commands/grammar.js';
import { loadLocalConfig } from '../../src/composition/config.js';
import { optional } from '../../src/config/fields.js';
import type { Key, Provider } from '../../src/domain/provider.js';
import { type LocalBot, startLocalBot } from '../../src/local/bot.js';
import { jsonLogger } from '../../src/log.js';
import type { VendorDescriptor } from '../../src/providers/descriptor.js';
import { vendorRegistry } from '../../src/providers/descriptor.js';
import { VENDORS } from '../../src/providers/registry.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { clock, NOW } from '../helpers/idmelon.js';
import { post, signedHeaders, slashCommandBody } from '../helpers/slack-requests.js';

/**
 * A fourth vendor, added through the registry alone: one descriptor, no change anywhere else. It serves two widgets
 * from memory; its key is read through `ACME_API_KEY` like any vendor credential.
 */
const widget = (id: string, lastUsedAt: string | null): Key => ({
  vendor: 'acme',
  id,
  name: `Widget ${id}`,
  type: 'widget',
  owner: { email: `${id}@acme.example` },
  lastUsedAt,
  uses: null,
  status: 'active',
});

function acmeProvider(apiKey = ''): Provider {
  const keys = [widget('w-old', '2020-01-01T00:00:00Z'), widget('w-new', NOW.toISOString())];
  return {
    vendor: 'acme',
    label: 'Acme Widgets',
    tracksUse: true,
    revokeBatchSize: 10,
    async listStale(query) {
      if (apiKey !== 'acme-key-0123456789') throw new Error('bad key');
      return {
        stale: keys.filter((k) => k.lastUsedAt && new Date(k.lastUsedAt) < query.cutoff),
        neverUsed: [],
        scan: 'full',
      };
    },
    findUsers: async () => [],
    userProfile: async () => {
      throw new Error('no users');
    },
    currentKeys: async (refs) => new Map(refs.map((r) => [r.id, keys.find((k) => k.id === r.id) ?? null])),
    revoke: async (refs) => refs.map((r) => ({ id: r.id, outcome: 'deleted' as const })),
    digest: async () =>
      ({ vendor: 'acme', label: 'Acme Widgets', parts: [], requests: 0, data: {} }) as never,
  };
}

const acme: VendorDescriptor = {
  id: 'acme',
  label: 'Acme Widgets',
  keyTypes: ['widget'],
  tracksUse: true,
  fields: {
    ACME_API_KEY: { schema: optional(z.string().min(1)), secret: true, doc: 'Acme API key.' },
    ACME_REGION: {
      schema: optional(z.enum(['north', 'south'], { message: 'must be north or south' })),
      secret: false,
      doc: 'Acme region.',
    },
  },
  required: ['ACME_API_KEY'],
  create: (settings) => {
    const provider = acmeProvider();
    const key = settings.secret('ACME_API_KEY');
    return { ...provider, listStale: async (q, ctx) => acmeProvider(await key.get()).listStale(q, ctx) };
  },
};

const withAcme = vendorRegistry([...VENDORS.descriptors, acme]);

describe('a fourth vendor added through the registry alone', () => {
  it('is in the grammar: its key type picks it, and its name is a vendor', () => {
    expect(parseKeysCommand('stale 30 widget', withAcme)).toEqual({
      ok: true,
      command: { kind: 'keys.stale', days: 30, type: 'widget', vendor: 'acme' },
    });
    expect(parseKeysCommand('stale 30 acme', withAcme)).toMatchObject({
      ok: true,
      command: { vendor: 'acme' },
    });
    expect(keysUsage(withAcme)).toContain('[phone|badge|desktop|passkey|api-key|widget]');
    // Without it in the registry, the same words are refused.
    expect(parseKeysCommand('stale 30 widget', VENDORS)).toMatchObject({ ok: false });
  });

  it('is in the configuration: its fields are validated by its schema and its credential is redacted', () => {
    expect(() => loadLocalConfig({ ACME_REGION: 'east' }, withAcme)).toThrow(
      'ACME_REGION must be north or south',
    );
    expect(() => loadLocalConfig({ ACME_REGION: 'north' }, withAcme)).toThrow(
      'ACME_API_KEY is required to use Acme Widgets when ACME_REGION is set',
    );
    const config = loadLocalConfig({ ACME_API_KEY: 'acme-key-0123456789' }, withAcme);
    expect(config.vendors.configured.map((c) => c.vendor.id)).toEqual(['acme']);
    expect(config.vendors.secrets).toEqual(['acme-key-0123456789']);
  });

  it('is in the CLI usage and answers `keywarden keys stale --vendor acme`', async () => {
    expect(cliUsage(withAcme)).toContain('--vendor idmelon|trymellon|solvimon|acme');
    let stdout = '';
    let stderr = '';
    const code = await runCli(['keys', 'stale', '90', '--vendor', 'acme', '--json'], {
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      env: { ACME_API_KEY: 'acme-key-0123456789' },
      clock,
      registry: withAcme,
    });
    expect(stderr).toBe('');
    expect(code).toBe(EXIT_OK);
    const report = JSON.parse(stdout) as { sections: Array<{ vendor: string; stale: Key[] }> };
    expect(report.sections.map((s) => s.vendor)).toEqual(['acme']);
    expect(report.sections[0]?.stale.map((k) => k.id)).toEqual(['w-old']);
  });

  describe('in Slack', () => {
    const SECRET = 'registry-signing-secret-0123456';
    const slack = new FakeSlack();
    let bot: LocalBot;
    beforeAll(async () => {
      await slack.start();
      bot = await startLocalBot({
        env: {
          SLACK_SIGNING_SECRET: SECRET,
          SLACK_BOT_TOKEN: 'xoxb-registry-0123',
          SLACK_API_URL: slack.apiUrl,
          KEYWARDEN_ADMINS: 'UADMIN1',
          ACME_API_KEY: 'acme-key-0123456789',
        },
        port: 0,
        dataDir: null,
        clock,
        registry: withAcme,
        vendors: ['acme'],
        sweepEveryMs: 0,
        logger: jsonLogger({ level: 'warn' }),
      });
    });
    afterAll(async () => {
      await bot.close();
      await slack.close();
    });

    it('/keys stale 90 widget lists its stale widget', async () => {
      const responseUrl = slack.responseUrl();
      const body = slashCommandBody({
        command: '/keys',
        text: 'stale 90 widget',
        user_id: 'UADMIN1',
        response_url: responseUrl,
      });
      expect((await post(bot.url, body, signedHeaders(SECRET, body))).status).toBe(200);
      await slack.waitFor(() => slack.postsTo(responseUrl).length > 0, 20_000);
      const shown = JSON.stringify(slack.postsTo(responseUrl)[0]?.blocks);
      expect(shown).toContain('Acme Widgets');
      expect(shown).toContain('Widget w-old');
      expect(shown).not.toContain('Widget w-new');
    });
  });
});

describe('the vendor specs the Slack function carries', () => {
  it('are the registry’s vendors, in its order, with the same settings', async () => {
    const { VENDOR_SPECS } = await import('../../src/providers/specs.js');
    expect(VENDOR_SPECS.ids).toEqual(VENDORS.ids);
    for (const [i, spec] of VENDOR_SPECS.descriptors.entries()) {
      expect(Object.keys(spec.fields)).toEqual(Object.keys(VENDORS.descriptors[i]?.fields ?? {}));
      expect(spec.keyTypes).toEqual(VENDORS.descriptors[i]?.keyTypes);
    }
  });
});
