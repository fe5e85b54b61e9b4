import type { VendorDescriptor } from '../descriptor.js';
import { TRYMELLON_DEFAULT_BASE_URL } from './client.js';
import { createTryMellonInventory, createTryMellonProvider } from './index.js';
import { trymellonSpec } from './spec.js';

/** TryMellon whole: its spec (spec.ts, no provider code) and how its provider is built. */
export const trymellonVendor: VendorDescriptor = {
  ...trymellonSpec,
  create: (settings, context) =>
    createTryMellonProvider({
      ...context,
      baseUrl: settings.value('TRYMELLON_BASE_URL') ?? TRYMELLON_DEFAULT_BASE_URL,
      clientId: settings.secret('TRYMELLON_CLIENT_ID'),
      clientSecret: settings.secret('TRYMELLON_CLIENT_SECRET'),
      onToken: context.redact,
    }),
  inventory: createTryMellonInventory,
};
