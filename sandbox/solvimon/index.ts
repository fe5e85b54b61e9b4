import { DAY_MS } from '../../src/domain/clock.js';
import { pick, seededRandom, weighted } from '../random.js';
import { type FaultRule, type SandboxRequest, type SandboxResponse, SandboxServer } from '../server.js';

export interface SolvimonSandboxKey {
  object_type: 'API_KEY';
  id: string;
  api_key: string;
  entity_id: string;
  created_at: string;
  status: 'ACTIVE' | 'INACTIVE' | 'INVITED';
  description: string;
  role_type: 'ADMINISTRATOR' | 'READ_ONLY' | 'DEVELOPER';
  active: boolean;
  /** Not part of the API's answer: who the key belongs to, for search by username. */
  username: string;
}

export interface SolvimonSandboxOptions {
  seed?: number;
  /** @default 300 */
  keys?: number;
  now?: Date;
  /** @default 'sandbox-solvimon-api-key' */
  apiKey?: string;
  /** When set, requests must send this `x-platform-id`. */
  platformId?: string;
  latencyMs?: number;
  port?: number;
}

export interface SolvimonSandbox {
  url: string;
  apiKey: string;
  keys: SolvimonSandboxKey[];
  server: SandboxServer;
  /** Every PATCH body received, in order. */
  patches: Array<{ id: string; body: unknown }>;
  inject(rule: FaultRule): void;
  close(): Promise<void>;
}

const error = (status: number, message: string): SandboxResponse => ({
  status,
  body: { error: { message } },
});
/** The API's view of a key: everything but the sandbox's own `username`. */
const view = ({ username: _u, ...k }: SolvimonSandboxKey) => k;

/** The embedded Solvimon sandbox: API keys listed, searched, read and patched, behind X-API-KEY. */
export async function startSolvimonSandbox(options: SolvimonSandboxOptions = {}): Promise<SolvimonSandbox> {
  const random = seededRandom(options.seed ?? 11);
  const now = (options.now ?? new Date()).getTime();
  const apiKey = options.apiKey ?? 'sandbox-solvimon-api-key';
  const users = [
    'alice@acme.example',
    'billing-bot',
    'ci-pipeline',
    'erin@acme.example',
    'reporting',
    'Mallory <!channel>',
  ];
  const keys: SolvimonSandboxKey[] = [];
  for (let i = 0; i < (options.keys ?? 300); i++) {
    const status = weighted(random, [
      ['ACTIVE', 80],
      ['INACTIVE', 15],
      ['INVITED', 5],
    ] as const);
    keys.push({
      object_type: 'API_KEY',
      id: `key_${(i + 1).toString(36).padStart(6, '0')}`,
      api_key: `sk_live_${Math.floor(random() * 1e16).toString(36)}${Math.floor(random() * 1e16).toString(36)}`,
      entity_id: `ent_${Math.floor(random() * 1e6)}`,
      created_at: new Date(now - (1 + random() * 720) * DAY_MS).toISOString(),
      status,
      description: pick(random, [
        'Billing export',
        'Invoice sync',
        'CI deploy',
        'Reporting',
        'Legacy integration',
        'Partner <b>API</b> & more',
      ]),
      role_type: pick(random, ['ADMINISTRATOR', 'READ_ONLY', 'DEVELOPER'] as const),
      active: status === 'ACTIVE',
      username: i === 0 ? 'alice@acme.example' : pick(random, users),
    });
  }
  const patches: Array<{ id: string; body: unknown }> = [];

  const handle = (req: SandboxRequest): SandboxResponse => {
    if (req.headers['x-api-key'] !== apiKey) return error(401, 'Unauthorized');
    if (options.platformId && req.headers['x-platform-id'] !== options.platformId)
      return error(403, 'Forbidden: unknown platform');
    const { method, path } = req;
    if (/\/decrypt/.test(path))
      return { status: 200, body: { api_key: 'DECRYPTED-SECRET-MUST-NEVER-BE-REQUESTED' } };
    if (method === 'GET' && path === '/v1/api-keys') return { status: 200, body: keys.map(view) };
    if (method === 'POST' && path === '/v1/api-keys/search') {
      const f = (req.body ?? {}) as {
        username?: string | null;
        resource_id?: string | null;
        user_type?: string | null;
      };
      const hits = keys.filter(
        (k) =>
          (!f.username || k.username === f.username) && (!f.resource_id || k.entity_id === f.resource_id),
      );
      return { status: 200, body: hits.map(view) };
    }
    const m = /^\/v1\/api-keys\/([^/]+)$/.exec(path);
    if (m) {
      const key = keys.find((k) => k.id === decodeURIComponent(m[1] as string));
      if (!key) return error(404, 'API key not found');
      if (method === 'GET') return { status: 200, body: view(key) };
      if (method === 'PATCH') {
        const body = (req.body ?? {}) as { status?: string; active?: boolean };
        patches.push({ id: key.id, body: req.body });
        if (typeof body.status === 'string') {
          if (!['ACTIVE', 'INACTIVE', 'INVITED'].includes(body.status))
            return error(400, `status must be ACTIVE, INACTIVE or INVITED`);
          key.status = body.status as SolvimonSandboxKey['status'];
          key.active = key.status === 'ACTIVE';
        }
        if (typeof body.active === 'boolean') key.active = body.active;
        return { status: 200, body: view(key) };
      }
    }
    return error(404, `Cannot ${method} ${path}`);
  };

  const server = new SandboxServer(handle, { latencyMs: options.latencyMs });
  const url = await server.listen(options.port ?? 0);
  return {
    url,
    apiKey,
    keys,
    server,
    patches,
    inject: (rule) => server.inject(rule),
    close: () => server.close(),
  };
}
