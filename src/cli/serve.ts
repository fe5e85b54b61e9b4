import { userMessage } from '../http/errors.js';
import { startLocalBot } from '../local/bot.js';
import { terminalText } from '../util/text-safety.js';
import type { CliIo } from './run.js';

/**
 * `npm start`: Keywarden locally. The Slack endpoint on PORT (or Socket Mode with SLACK_APP_TOKEN), the worker
 * in-process, dynalite under .keywarden/, and the embedded sandbox for every vendor without settings.
 */
export async function runServe(io: CliIo): Promise<void> {
  let bot: Awaited<ReturnType<typeof startLocalBot>>;
  try {
    bot = await startLocalBot({ env: io.env, keepInventory: true });
  } catch (err) {
    io.stderr(`keywarden: ${terminalText(userMessage(err))}\n`);
    process.exitCode = 1;
    return;
  }
  const lines = [
    bot.url === 'socket-mode'
      ? 'Keywarden is connected to Slack over Socket Mode.'
      : `Keywarden is listening on ${bot.url}/slack/events`,
    ...bot.notes.map((n) => `  - ${n}`),
  ];
  if (bot.generatedSigningSecret) {
    lines.push(
      '',
      'No Slack settings were given, so this run made its own signing secret (shown once, valid until you stop it):',
      `  SLACK_SIGNING_SECRET=${bot.generatedSigningSecret}`,
      '',
      'To connect a real Slack app:',
      '  1. Create the app from infra/slack-app-manifest.yml (api.slack.com/apps → Create New App → From a manifest).',
      '  2. Either expose this port through a tunnel and set its request URLs to <tunnel>/slack/events,',
      '     or enable Socket Mode and set SLACK_APP_TOKEN (xapp-…) so no public URL is needed.',
      '  3. Set SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN and KEYWARDEN_ADMINS (your Slack user id), then npm start again.',
    );
  }
  lines.push('', 'Ctrl-C stops it.', '');
  io.stdout(lines.join('\n'));
  // A job already running (a vendor sync's range, a revocation) is let finish; a second Ctrl-C stops at once, as a
  // crash would: the jobs stay stored and run again at the next start.
  let stopping = false;
  const stop = async () => {
    if (stopping) {
      io.stderr('Stopped without waiting: the jobs that were running run again at the next start.\n');
      process.exit(130);
    }
    stopping = true;
    io.stderr('Stopping: letting the jobs already running finish (Ctrl-C again stops now).\n');
    await bot.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.once('SIGTERM', stop);
}
