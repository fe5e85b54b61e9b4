import { type FaultRule, SandboxServer } from '../server.js';
import { IdmelonRoutes } from './routes.js';
import { generateWorkspace, type IdmelonSeedOptions, type IdmelonWorkspace } from './workspace.js';

export interface IdmelonSandboxOptions extends IdmelonSeedOptions {
  /** The raw value the sandbox accepts in `Authorization`. @default 'sandbox-idmelon-admin-key' */
  apiKey?: string;
  /** @default 100 */
  pageCap?: number;
  brokenSort?: boolean;
  latencyMs?: number;
  /** @default 0 (any free port) */
  port?: number;
}

export interface IdmelonSandbox {
  url: string;
  /** Change with `rotateApiKey` to test a rotated credential. */
  apiKey: string;
  workspace: IdmelonWorkspace;
  routes: IdmelonRoutes;
  server: SandboxServer;
  rotateApiKey(next: string): void;
  inject(rule: FaultRule): void;
  close(): Promise<void>;
}

export const DEFAULT_SANDBOX_IDMELON_KEY = 'sandbox-idmelon-admin-key';

/** Starts the embedded IDmelon sandbox on loopback. */
export async function startIdmelonSandbox(options: IdmelonSandboxOptions = {}): Promise<IdmelonSandbox> {
  const workspace = generateWorkspace(options);
  const routes = new IdmelonRoutes(workspace, {
    pageCap: options.pageCap ?? 100,
    brokenSort: options.brokenSort ?? false,
  });
  const state = { apiKey: options.apiKey ?? DEFAULT_SANDBOX_IDMELON_KEY };
  const server = new SandboxServer(
    (req) => {
      // IDmelon takes the raw key in Authorization, no "Bearer".
      if (req.headers.authorization !== state.apiKey)
        return { status: 401, body: { message: 'Unauthorized' } };
      return routes.handle(req);
    },
    { latencyMs: options.latencyMs },
  );
  const url = await server.listen(options.port ?? 0);
  return {
    url,
    get apiKey() {
      return state.apiKey;
    },
    workspace,
    routes,
    server,
    rotateApiKey(next) {
      state.apiKey = next;
    },
    inject: (rule) => server.inject(rule),
    close: () => server.close(),
  };
}
