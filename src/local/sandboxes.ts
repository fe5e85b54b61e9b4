import {
  type IdmelonSandbox,
  type IdmelonSandboxOptions,
  startIdmelonSandbox,
} from '../../sandbox/idmelon/index.js';
import {
  type SolvimonSandbox,
  type SolvimonSandboxOptions,
  startSolvimonSandbox,
} from '../../sandbox/solvimon/index.js';
import {
  startTryMellonSandbox,
  type TryMellonSandbox,
  type TryMellonSandboxOptions,
} from '../../sandbox/trymellon/index.js';

/**
 * The embedded sandboxes that stand in for a vendor whose settings are absent. A sandbox answers with the values of
 * its vendor's own fields (`IDMELON_BASE_URL`, `IDMELON_API_KEY`), so the provider is built exactly as for the real
 * API: the sandbox is a place to connect to, not a second implementation.
 */
export interface StartedSandbox<H> {
  handle: H;
  /** Where it listens, on loopback. */
  url: string;
  /** Values for the vendor's fields, validated by its descriptor like any setting. */
  fields: Record<string, string>;
  /** What it holds, for the start-up note: "300 users, 900 keys". */
  holds: string;
  close(): Promise<void>;
}

export interface SandboxSpec<H, O> {
  start(options: O & { now?: Date }): Promise<StartedSandbox<H>>;
}

const idmelon: SandboxSpec<IdmelonSandbox, IdmelonSandboxOptions> = {
  async start(options) {
    const sb = await startIdmelonSandbox(options);
    return {
      handle: sb,
      url: sb.url,
      fields: { IDMELON_BASE_URL: sb.url, IDMELON_API_KEY: sb.apiKey },
      holds: `${sb.workspace.users.length} users, ${sb.workspace.keys.length} keys`,
      close: () => sb.close(),
    };
  },
};

const trymellon: SandboxSpec<TryMellonSandbox, TryMellonSandboxOptions> = {
  async start(options) {
    const sb = await startTryMellonSandbox(options);
    return {
      handle: sb,
      url: sb.url,
      fields: {
        TRYMELLON_BASE_URL: sb.url,
        TRYMELLON_CLIENT_ID: sb.clientId,
        TRYMELLON_CLIENT_SECRET: sb.clientSecret,
      },
      holds: `${sb.workspace.users.length} users`,
      close: () => sb.close(),
    };
  },
};

const solvimon: SandboxSpec<SolvimonSandbox, SolvimonSandboxOptions> = {
  async start(options) {
    const sb = await startSolvimonSandbox(options);
    return {
      handle: sb,
      url: sb.url,
      fields: { SOLVIMON_BASE_URL: sb.url, SOLVIMON_API_KEY: sb.apiKey },
      holds: `${sb.keys.length} API keys`,
      close: () => sb.close(),
    };
  },
};

/** The sandboxes by vendor id; a vendor without one is simply not served until it is configured. */
export const SANDBOXES = { idmelon, trymellon, solvimon };

type Specs = typeof SANDBOXES;
type HandleOf<S> = S extends SandboxSpec<infer H, unknown> ? H : never;
type OptionsOf<S> = S extends SandboxSpec<unknown, infer O> ? O : never;

/** The running sandboxes, by vendor (tests read and change their data). */
export type SandboxHandles = { [K in keyof Specs]?: HandleOf<Specs[K]> };
/** Seed options per sandbox (tests size the data). */
export type SandboxOptions = { [K in keyof Specs]?: OptionsOf<Specs[K]> };
