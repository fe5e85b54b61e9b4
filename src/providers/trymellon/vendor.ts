import * as z from 'zod';
import { httpUrl, optional } from '../../config/fields.js';
import type { VendorDescriptor } from '../descriptor.js';
import { TRYMELLON_DEFAULT_BASE_URL } from './client.js';
import { createTryMellonProvider } from './index.js';
import { TRYMELLON } from './info.js';

const credential = optional(z.string().trim().min(1, { message: 'is empty' }));

/** TryMellon: passkeys and their users, through its Admin REST API with OAuth2 client credentials. */
export const trymellonVendor: VendorDescriptor = {
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
  create: (settings, context) =>
    createTryMellonProvider({
      ...context,
      baseUrl: settings.value('TRYMELLON_BASE_URL') ?? TRYMELLON_DEFAULT_BASE_URL,
      clientId: settings.secret('TRYMELLON_CLIENT_ID'),
      clientSecret: settings.secret('TRYMELLON_CLIENT_SECRET'),
      onToken: context.redact,
    }),
};
