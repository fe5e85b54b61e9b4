import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Slack request signatures (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret. Keywarden checks the signature
 * before it parses anything, refuses timestamps more than five minutes off in either direction (Bolt 5.1 only
 * refuses old ones), and compares in constant time.
 */
export const MAX_CLOCK_SKEW_SECONDS = 300;

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * The signature of a request: the HMAC runs over the timestamp header's text exactly as sent and the body's bytes
 * exactly as received. A body is never decoded first: decoding replaces invalid UTF-8 with U+FFFD, so two different
 * byte strings would share one signature.
 */
export function signSlackRequest(
  signingSecret: string,
  timestamp: number | string,
  rawBody: Buffer | string,
): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(Buffer.from(`v0:${timestamp}:`, 'latin1'));
  hmac.update(body);
  return `v0=${hmac.digest('hex')}`;
}

export function verifySlackRequest(input: {
  signingSecret: string;
  /** The body's bytes as received (a string stands for its UTF-8 bytes). */
  rawBody: Buffer | string;
  timestamp: string | undefined;
  signature: string | undefined;
  nowSeconds: number;
}): VerifyResult {
  const { timestamp, signature } = input;
  // Plain digits only (no sign, space, fraction or hex); that same text is what the HMAC covers.
  if (!timestamp || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'missing or malformed timestamp' };
  if (Math.abs(input.nowSeconds - Number(timestamp)) > MAX_CLOCK_SKEW_SECONDS) {
    return { ok: false, reason: 'timestamp outside the five-minute window' };
  }
  if (!signature || !/^v0=[0-9a-f]{64}$/.test(signature))
    return { ok: false, reason: 'missing or malformed signature' };
  const expected = Buffer.from(signSlackRequest(input.signingSecret, timestamp, input.rawBody), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  // Both are exactly 67 bytes here (checked by the pattern above), as timingSafeEqual requires.
  if (!timingSafeEqual(expected, given)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}
