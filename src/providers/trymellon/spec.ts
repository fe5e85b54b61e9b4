import * as z from 'zod';
import { httpUrl, optional } from '../../config/fields.js';
import type { VendorSpec } from '../descriptor.js';
import { TRYMELLON_DEFAULT_BASE_URL } from './client.js';
import { TRYMELLON } from './info.js';

const credential = optional(z.string().trim().min(1, { message: 'is empty' }));

/** TryMellon: passkeys and their users, through its Admin REST API with OAuth2 client credentials. */
export const trymellonSpec: VendorSpec = {
  ...TRYMELLON,
  fields: {
    TRYMELLON_CLIENT_ID: { schema: credential, secret: true, doc: 'OAuth2 client id.' },
    TRYMELLON_CLIENT_SECRET: { schema: credential, secret: true, doc: 'OAuth2 client secret.' },
    TRYMELLON_BASE_URL: {
      schema: optional(httpUrl),
      secret: false,
      doc: `API host (default ${TRYMELLON_DEFAULT_BASE_URL}).`,
    },
  },
  required: ['TRYMELLON_CLIENT_ID', 'TRYMELLON_CLIENT_SECRET'],
};
