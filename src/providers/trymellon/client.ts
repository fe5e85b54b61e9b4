import * as z from 'zod';
import type { CallOptions, JsonClient } from '../../http/json-client.js';
import { pathSegment } from '../../http/path.js';
import {
  auditListSchema,
  credentialListSchema,
  getUserSchema,
  usageSchema,
  userListSchema,
} from './schemas.js';

export const TRYMELLON_DEFAULT_BASE_URL = 'https://api.trymellonauth.com';
/** The docs' maximum page size for cursor lists. */
export const TRYMELLON_MAX_LIMIT = 100;

const id = pathSegment;

/** The documented TryMellon admin paths; auth, retries and validation are JsonClient's. */
export class TryMellonClient {
  constructor(readonly http: JsonClient) {}

  listUsers(q: { limit: number; starting_after?: string }, call?: CallOptions) {
    return this.http.request({ method: 'GET', path: '/v1/users', query: q }, userListSchema, call);
  }

  getUser(externalUserId: string, call?: CallOptions) {
    return this.http.request({ method: 'GET', path: `/v1/users/${id(externalUserId)}` }, getUserSchema, call);
  }

  listCredentials(externalUserId: string, q: { page: number; limit: number }, call?: CallOptions) {
    return this.http.request(
      { method: 'GET', path: `/v1/users/${id(externalUserId)}/credentials`, query: q },
      credentialListSchema,
      call,
    );
  }

  /** 204 with no body on success. */
  revokeCredential(externalUserId: string, credentialId: string, call?: CallOptions) {
    return this.http.request(
      { method: 'DELETE', path: `/v1/users/${id(externalUserId)}/credentials/${id(credentialId)}` },
      z.unknown(),
      call,
    );
  }

  auditLogs(
    q: { limit: number; starting_after?: string; event?: string; success?: boolean },
    call?: CallOptions,
  ) {
    return this.http.request({ method: 'GET', path: '/v1/audit-logs', query: q }, auditListSchema, call);
  }

  usage(period: string, call?: CallOptions) {
    return this.http.request({ method: 'GET', path: '/v1/usage', query: { period } }, usageSchema, call);
  }
}
