import * as z from 'zod';
import { httpUrl, optional } from '../../config/fields.js';
import type { VendorDescriptor } from '../descriptor.js';
import { IDMELON_REGIONS } from './client.js';
import { createIdmelonProvider } from './index.js';
import { IDMELON } from './info.js';

const credential = optional(z.string().trim().min(1, { message: 'is empty' }));

/** IDmelon: security keys (phone, badge, desktop), users, groups and activity logs, through its Admin REST API. */
export const idmelonVendor: VendorDescriptor = {
  ...IDMELON,
  fields: {
    IDMELON_API_KEY: { schema: credential, secret: true, doc: 'Admin API key (sent as `Authorization`).' },
    IDMELON_BASE_URL: {
      schema: optional(httpUrl),
      secret: false,
      doc: 'API host; overrides `IDMELON_REGION`.',
    },
    IDMELON_REGION: {
      schema: optional(z.enum(['us', 'eu'], { message: 'must be "us" or "eu"' })),
      secret: false,
      doc: '`us` (default, skm.idmelon.com) or `eu` (skm.eu.idmelon.com).',
    },
  },
  required: ['IDMELON_API_KEY'],
  create: (settings, context) =>
    createIdmelonProvider({
      ...context,
      baseUrl:
        settings.value('IDMELON_BASE_URL') ??
        IDMELON_REGIONS[(settings.value('IDMELON_REGION') as 'us' | 'eu' | undefined) ?? 'us'],
      apiKey: settings.secret('IDMELON_API_KEY'),
    }),
};
