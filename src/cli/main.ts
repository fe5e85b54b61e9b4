import { runCli } from './run.js';
import { runServe } from './serve.js';
import { runTryHome, runTrySlack } from './try-slack.js';

/** `keywarden` entry point: wires the real process to runCli and sets the exit code. */
const argv = process.argv.slice(2);
// `keywarden keys stale 90 | head` closes stdout early; that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const io = {
  stdout: (t: string) => process.stdout.write(t),
  stderr: (t: string) => process.stderr.write(t),
  env: process.env,
  interactive: process.stderr.isTTY === true,
};
if (argv[0] === 'serve') {
  await runServe(io);
} else if (argv[0] === 'slack' && argv[1] === '--home') {
  process.exitCode = await runTryHome(argv.slice(2), io);
} else if (argv[0] === 'slack') {
  process.exitCode = await runTrySlack(argv.slice(1).join(' '), io);
} else {
  process.exitCode = await runCli(argv, io);
}
