import type { VendorDescriptor } from '../descriptor.js';
import { SOLVIMON_DEFAULT_BASE_URL } from './client.js';
import { createSolvimonInventory, createSolvimonProvider } from './index.js';
import { jsonObject, solvimonSpec } from './spec.js';

/** Solvimon whole: its spec (spec.ts, no provider code) and how its provider is built. */
export const solvimonVendor: VendorDescriptor = {
  ...solvimonSpec,
  create: (settings, context) => {
    const body = settings.value('SOLVIMON_DEACTIVATE_BODY');
    return createSolvimonProvider({
      ...context,
      baseUrl: settings.value('SOLVIMON_BASE_URL') ?? SOLVIMON_DEFAULT_BASE_URL,
      apiKey: settings.secret('SOLVIMON_API_KEY'),
      platformId: settings.value('SOLVIMON_PLATFORM_ID'),
      deactivateBody: body === undefined ? undefined : jsonObject(body),
    });
  },
  inventory: createSolvimonInventory,
};
