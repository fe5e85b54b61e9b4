import * as z from 'zod';
import { httpUrl, optional } from '../../config/fields.js';
import type { VendorSpec } from '../descriptor.js';
import { IDMELON } from './info.js';

const credential = optional(z.string().trim().min(1, { message: 'is empty' }));

/** IDmelon: security keys (phone, badge, desktop), users, groups and activity logs, through its Admin REST API. */
export const idmelonSpec: VendorSpec = {
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
};
