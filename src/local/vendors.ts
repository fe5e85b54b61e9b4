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
import type { LocalConfig } from '../config/env.js';
import type { Provider, VendorId } from '../domain/provider.js';
import { staticSecret } from '../http/credentials.js';
import type { Transport } from '../http/transport.js';
import type { Logger, SecretRedactor } from '../log.js';
import { createIdmelonProvider } from '../providers/idmelon/index.js';
import { createSolvimonProvider } from '../providers/solvimon/index.js';
import { createTryMellonProvider } from '../providers/trymellon/index.js';

export const ALL_VENDORS: readonly VendorId[] = ['idmelon', 'trymellon', 'solvimon'];

export interface LocalVendors {
  providers: Provider[];
  /** The embedded sandboxes, for the vendors that are not configured. */
  sandboxes: { idmelon?: IdmelonSandbox; trymellon?: TryMellonSandbox; solvimon?: SolvimonSandbox };
  /** One line per vendor served by its embedded sandbox, for stderr. */
  notes: string[];
  close(): Promise<void>;
}

export interface LocalVendorDeps {
  transport: Transport;
  logger: Logger;
  redactor?: SecretRedactor;
  /** Only these vendors (tests). @default all three */
  only?: readonly VendorId[];
  sandbox?: IdmelonSandboxOptions;
  trymellonSandbox?: TryMellonSandboxOptions;
  solvimonSandbox?: SolvimonSandboxOptions;
  /** From SOLVIMON_DEACTIVATE_BODY (settings). */
  solvimonDeactivateBody?: Record<string, unknown>;
  now?: Date;
}

/**
 * The vendors a local run talks to: the real API where its settings are present, otherwise its embedded sandbox,
 * started in this process on loopback.
 */
export async function startLocalVendors(config: LocalConfig, deps: LocalVendorDeps): Promise<LocalVendors> {
  const closers: Array<() => Promise<void>> = [];
  const notes: string[] = [];
  const providers: Provider[] = [];
  const sandboxes: LocalVendors['sandboxes'] = {};
  const wanted = new Set(deps.only ?? ALL_VENDORS);
  const common = { transport: deps.transport, logger: deps.logger, requestTimeoutMs: config.httpTimeoutMs };
  try {
    if (wanted.has('idmelon')) {
      let baseUrl: string;
      let apiKey: string;
      if (config.idmelon.mode === 'remote') ({ baseUrl, apiKey } = config.idmelon);
      else {
        const sb = await startIdmelonSandbox({ now: deps.now, ...deps.sandbox });
        closers.push(() => sb.close());
        sandboxes.idmelon = sb;
        ({ url: baseUrl, apiKey } = sb);
        // A sandbox's credentials are redacted like real ones, so a local run shows what production would.
        deps.redactor?.add(apiKey);
        notes.push(
          `IDmelon: no IDMELON_API_KEY set, using the embedded sandbox at ${sb.url} (${sb.workspace.users.length} users, ${sb.workspace.keys.length} keys).`,
        );
      }
      providers.push(createIdmelonProvider({ ...common, baseUrl, apiKey: staticSecret(apiKey) }));
    }
    if (wanted.has('trymellon')) {
      let settings = config.trymellon;
      if (settings.mode === 'sandbox') {
        const sb = await startTryMellonSandbox({ now: deps.now, ...deps.trymellonSandbox });
        closers.push(() => sb.close());
        sandboxes.trymellon = sb;
        settings = { mode: 'remote', baseUrl: sb.url, clientId: sb.clientId, clientSecret: sb.clientSecret };
        deps.redactor?.add(sb.clientSecret);
        notes.push(
          `TryMellon: no TRYMELLON_CLIENT_ID set, using the embedded sandbox at ${sb.url} (${sb.workspace.users.length} users).`,
        );
      }
      providers.push(
        createTryMellonProvider({
          ...common,
          baseUrl: settings.baseUrl,
          clientId: staticSecret(settings.clientId),
          clientSecret: staticSecret(settings.clientSecret),
          onToken: (t) => deps.redactor?.add(t),
        }),
      );
    }
    if (wanted.has('solvimon')) {
      let settings = config.solvimon;
      if (settings.mode === 'sandbox') {
        const sb = await startSolvimonSandbox({ now: deps.now, ...deps.solvimonSandbox });
        closers.push(() => sb.close());
        sandboxes.solvimon = sb;
        settings = { mode: 'remote', baseUrl: sb.url, apiKey: sb.apiKey };
        deps.redactor?.add(sb.apiKey);
        notes.push(
          `Solvimon: no SOLVIMON_API_KEY set, using the embedded sandbox at ${sb.url} (${sb.keys.length} API keys).`,
        );
      }
      providers.push(
        createSolvimonProvider({
          ...common,
          baseUrl: settings.baseUrl,
          apiKey: staticSecret(settings.apiKey),
          platformId: settings.platformId,
          deactivateBody: deps.solvimonDeactivateBody,
        }),
      );
    }
  } catch (err) {
    for (const c of closers) await c().catch(() => undefined);
    throw err;
  }
  return {
    providers,
    sandboxes,
    notes,
    close: async () => {
      await Promise.all(closers.map((c) => c()));
    },
  };
}
