import { loadLocalConfig } from '../config/env.js';
import { userMessage } from '../http/errors.js';
import { startIdmelonSandbox } from '../local/sandbox/idmelon/index.js';
import type { CliIo } from './run.js';

/**
 * `npm start`: runs Keywarden's local side. Until the Slack server lands this serves the embedded IDmelon sandbox
 * on a fixed port, so the CLI and other tools can be pointed at it; it stays up until Ctrl-C.
 */
export async function runServe(io: CliIo): Promise<void> {
  let config: ReturnType<typeof loadLocalConfig>;
  try {
    config = loadLocalConfig(io.env);
  } catch (err) {
    io.stderr(`keywarden: ${userMessage(err)}\n`);
    process.exitCode = 1;
    return;
  }
  if (config.idmelon.mode === 'remote') {
    io.stderr(`keywarden: IDmelon is configured (${config.idmelon.baseUrl}); no sandbox needed.\n`);
    return;
  }
  const port = Number(io.env.KEYWARDEN_SANDBOX_PORT ?? 4010);
  const sandbox = await startIdmelonSandbox({ port });
  io.stdout(
    [
      `IDmelon sandbox listening on ${sandbox.url} (${sandbox.workspace.users.length} users, ${sandbox.workspace.keys.length} keys)`,
      `Its API key is the fixed sandbox value "${sandbox.apiKey}" (not a secret). Point the CLI at it with:`,
      `  IDMELON_BASE_URL=${sandbox.url} IDMELON_API_KEY=${sandbox.apiKey} npx keywarden keys stale 90`,
      'Or run `npx keywarden keys stale 90` alone: it starts its own sandbox. Ctrl-C stops this one.',
      '',
    ].join('\n'),
  );
  const stop = async () => {
    await sandbox.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
