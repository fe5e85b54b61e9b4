import * as z from 'zod';
import { httpUrl, optional } from '../../config/fields.js';
import type { VendorSpec } from '../descriptor.js';
import { SOLVIMON_DEFAULT_BASE_URL } from './client.js';
import { SOLVIMON } from './info.js';

const credential = optional(z.string().trim().min(1, { message: 'is empty' }));

/** The text as a JSON object, or undefined when it is not one. */
export function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // not JSON: reported by the schema
  }
  return undefined;
}

/** Solvimon: API keys, which record no last use; "stale" means created long ago and still active. */
export const solvimonSpec: VendorSpec = {
  ...SOLVIMON,
  fields: {
    SOLVIMON_API_KEY: { schema: credential, secret: true, doc: 'API key (sent as `X-API-KEY`).' },
    SOLVIMON_BASE_URL: {
      schema: optional(httpUrl),
      secret: false,
      doc: `API host (default ${SOLVIMON_DEFAULT_BASE_URL}).`,
    },
    SOLVIMON_PLATFORM_ID: {
      schema: credential,
      secret: false,
      doc: 'Sent as `x-platform-id` when set.',
    },
    SOLVIMON_DEACTIVATE_BODY: {
      schema: optional(
        z.string().refine((s) => jsonObject(s) !== undefined, {
          message: 'must be a JSON object such as {"status":"INACTIVE"}',
        }),
      ),
      secret: false,
      option: true,
      doc: 'The PATCH body that deactivates an API key (default `{"status":"INACTIVE"}`; Solvimon’s docs list no status values).',
    },
  },
  required: ['SOLVIMON_API_KEY'],
};
