import { afterAll, expect } from 'vitest';

/**
 * Every test file runs under this capture: whatever the code writes to stdout or stderr (JSON log lines, Bolt's
 * messages, warnings, metrics) is kept, and at the end of the file none of it may contain a secret the tests use.
 * Log and metric lines are kept out of the console to keep test output readable; everything else passes through.
 */
const SECRET_PATTERNS: RegExp[] = [
  /xox[abp]-[A-Za-z0-9-]{6,}/, // Slack tokens
  /signing-secret-[0-9a-f]{6,}/, // the tests' signing secrets
  /sandbox-(idmelon-admin-key|trymellon-secret|solvimon-api-key)/, // sandbox credentials
  /\btm_[0-9a-f]{32}\b/, // TryMellon access tokens issued by the sandbox
  /\bsk_live_[0-9a-z]{6,}/, // Solvimon API key secrets
  /idmelon-(old|rotated)-key-v\d/,
  /(cli-test|wrong|rotated)-key-[0-9]{6,}/,
  /lambda-signing-secret/,
];

const captured: string[] = [];
for (const stream of [process.stdout, process.stderr]) {
  const original = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text =
      typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
    captured.push(text);
    // JSON log lines, and the EMF lines that carry metrics on Lambda.
    if (text.startsWith('{"level":') || text.startsWith('{"_aws":')) return true;
    return original(chunk, ...rest);
  }) as typeof stream.write;
}

afterAll(() => {
  const all = captured.join('');
  for (const pattern of SECRET_PATTERNS) {
    const leak = pattern.exec(all);
    expect(leak?.[0], `a secret reached the logs: ${pattern}`).toBeUndefined();
  }
});
