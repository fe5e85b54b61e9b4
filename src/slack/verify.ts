import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Slack request signatures (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret. Keywarden checks the signature
 * before it parses anything, refuses timestamps more than five minutes off in either direction (Bolt 5.1 only
 * refuses old ones), and compares in constant time.
 */
export const MAX_CLOCK_SKEW_SECONDS = 300;

export type VerifyResult = { ok: true } | { ok: false; reason: string };

export function signSlackRequest(signingSecret: string, timestamp: number, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`, 'utf8').digest('hex')}`;
}

export function verifySlackRequest(input: {
  signingSecret: string;
  rawBody: string;
  timestamp: string | undefined;
  signature: string | undefined;
  nowSeconds: number;
}): VerifyResult {
  const { timestamp, signature } = input;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'missing or malformed timestamp' };
  if (Math.abs(input.nowSeconds - Number(timestamp)) > MAX_CLOCK_SKEW_SECONDS) {
    return { ok: false, reason: 'timestamp outside the five-minute window' };
  }
  if (!signature || !/^v0=[0-9a-f]{64}$/.test(signature))
    return { ok: false, reason: 'missing or malformed signature' };
  const expected = Buffer.from(
    signSlackRequest(input.signingSecret, Number(timestamp), input.rawBody),
    'utf8',
  );
  const given = Buffer.from(signature, 'utf8');
  // Both are exactly 67 bytes here (checked by the pattern above), as timingSafeEqual requires.
  if (!timingSafeEqual(expected, given)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}
