import { afterAll, describe, expect, it } from 'vitest';
import { buildInventorySources, buildProviders } from '../../../src/composition/providers.js';
import type { VendorConfig } from '../../../src/config/vendors.js';
import { staticSecret } from '../../../src/http/credentials.js';
import { undiciTransport } from '../../../src/http/transport.js';
import type { VendorDescriptor, VendorSettings } from '../../../src/providers/descriptor.js';
import { VENDORS } from '../../../src/providers/registry.js';

describe('inventory sources from the registry', () => {
  const transport = undiciTransport();
  afterAll(() => transport.close());

  it('gives every configured vendor its source, over the provider built for it', () => {
    const settings: VendorSettings = {
      value: (name) => (name.endsWith('_BASE_URL') ? 'http://127.0.0.1:9' : 'configured-value-0123456789'),
      secret: (name) => staticSecret(`${name}-0123456789`),
    };
    const config: VendorConfig<VendorDescriptor> = {
      all: VENDORS.descriptors,
      configured: VENDORS.descriptors
        .filter((d) => d.id !== 'trymellon')
        .map((vendor) => ({ vendor, settings })),
      unconfigured: VENDORS.descriptors.filter((d) => d.id === 'trymellon'),
      secrets: [],
    };
    const context = { transport, redact: () => {} };
    const sources = buildInventorySources(config, buildProviders(config, context));
    expect(sources.map((s) => s.vendor)).toEqual(['idmelon', 'solvimon']);
    expect(VENDORS.descriptors.every((d) => d.inventory !== undefined)).toBe(true);
  });
});
