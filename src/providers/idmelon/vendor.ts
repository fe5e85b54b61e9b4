import type { VendorDescriptor } from '../descriptor.js';
import { IDMELON_REGIONS } from './client.js';
import { createIdmelonInventory, createIdmelonProvider } from './index.js';
import { idmelonSpec } from './spec.js';

/** IDmelon whole: its spec (spec.ts, no provider code) and how its provider is built. */
export const idmelonVendor: VendorDescriptor = {
  ...idmelonSpec,
  create: (settings, context) =>
    createIdmelonProvider({
      ...context,
      baseUrl:
        settings.value('IDMELON_BASE_URL') ??
        IDMELON_REGIONS[(settings.value('IDMELON_REGION') as 'us' | 'eu' | undefined) ?? 'us'],
      apiKey: settings.secret('IDMELON_API_KEY'),
    }),
  inventory: createIdmelonInventory,
};
