import type { LocalConfig } from '../config/env.js';
import { staticSecret } from '../http/credentials.js';
import type { Transport } from '../http/transport.js';
import type { Logger } from '../log.js';
import { createIdmelonProvider } from '../providers/idmelon/index.js';
import type { Provider } from '../providers/types.js';
import {
  type IdmelonSandbox,
  type IdmelonSandboxOptions,
  startIdmelonSandbox,
} from './sandbox/idmelon/index.js';

export interface LocalVendors {
  providers: Provider[];
  /** The embedded IDmelon sandbox, when IDmelon is not configured. */
  idmelonSandbox?: IdmelonSandbox;
  /** One line per vendor served by its embedded sandbox, for stderr. */
  notes: string[];
  close(): Promise<void>;
}

/**
 * The vendors a local run talks to: the real API where its settings are present, otherwise its embedded sandbox,
 * started in this process on loopback.
 */
export async function startLocalVendors(
  config: LocalConfig,
  deps: { transport: Transport; logger: Logger; sandbox?: IdmelonSandboxOptions },
): Promise<LocalVendors> {
  const closers: Array<() => Promise<void>> = [];
  const notes: string[] = [];
  let baseUrl: string;
  let apiKey: string;
  let idmelonSandbox: IdmelonSandbox | undefined;
  if (config.idmelon.mode === 'remote') {
    ({ baseUrl, apiKey } = config.idmelon);
  } else {
    const sandbox = await startIdmelonSandbox(deps.sandbox);
    idmelonSandbox = sandbox;
    closers.push(() => sandbox.close());
    baseUrl = sandbox.url;
    apiKey = sandbox.apiKey;
    notes.push(
      `IDmelon: no IDMELON_API_KEY set, using the embedded sandbox at ${sandbox.url} ` +
        `(${sandbox.workspace.users.length} users, ${sandbox.workspace.keys.length} keys).`,
    );
  }
  const idmelon = createIdmelonProvider({
    baseUrl,
    apiKey: staticSecret(apiKey),
    transport: deps.transport,
    logger: deps.logger,
    requestTimeoutMs: config.httpTimeoutMs,
  });
  return {
    providers: [idmelon],
    idmelonSandbox,
    notes,
    close: async () => {
      await Promise.all(closers.map((c) => c()));
    },
  };
}
