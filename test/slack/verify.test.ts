import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signSlackRequest, verifySlackRequest } from '../../src/slack/verify.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = 1_700_000_000;

describe('Slack signature verification', () => {
  it("matches Slack's documented example signature scheme", () => {
    const sig = signSlackRequest(SECRET, NOW, 'token=x&command=%2Fkeys');
    expect(sig).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(
      verifySlackRequest({
        signingSecret: SECRET,
        rawBody: 'token=x&command=%2Fkeys',
        timestamp: String(NOW),
        signature: sig,
        nowSeconds: NOW,
      }),
    ).toEqual({ ok: true });
  });

  it('accepts the edges of the five-minute window and refuses one second beyond, both ways', () => {
    const body = 'a=b';
    for (const [ts, ok] of [
      [NOW - 300, true],
      [NOW + 300, true],
      [NOW - 301, false],
      [NOW + 301, false],
    ] as const) {
      const r = verifySlackRequest({
        signingSecret: SECRET,
        rawBody: body,
        timestamp: String(ts),
        signature: signSlackRequest(SECRET, ts, body),
        nowSeconds: NOW,
      });
      expect(r.ok).toBe(ok);
    }
  });

  it('signs the raw bytes: a body with invalid UTF-8 verifies as sent, and its decoded form does not', () => {
    const raw = Buffer.concat([Buffer.from('payload=', 'utf8'), Buffer.from([0xff, 0xfe]), Buffer.from('x')]);
    const sig = signSlackRequest(SECRET, NOW, raw);
    const base = { signingSecret: SECRET, timestamp: String(NOW), nowSeconds: NOW };
    expect(verifySlackRequest({ ...base, rawBody: raw, signature: sig })).toEqual({ ok: true });
    // Decoding replaces both bytes with U+FFFD; a signature over that text must not pass for the raw bytes.
    const decoded = raw.toString('utf8');
    expect(
      verifySlackRequest({ ...base, rawBody: raw, signature: signSlackRequest(SECRET, NOW, decoded) }),
    ).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('covers the timestamp header text exactly as sent, and takes only plain digits', () => {
    const body = 'a=b';
    // Leading zeros are digits: the HMAC covers that text, not the number it reads as.
    const padded = `00${NOW}`;
    expect(
      verifySlackRequest({
        signingSecret: SECRET,
        rawBody: body,
        timestamp: padded,
        signature: signSlackRequest(SECRET, padded, body),
        nowSeconds: NOW,
      }),
    ).toEqual({ ok: true });
    expect(
      verifySlackRequest({
        signingSecret: SECRET,
        rawBody: body,
        timestamp: padded,
        signature: signSlackRequest(SECRET, NOW, body),
        nowSeconds: NOW,
      }).ok,
    ).toBe(false);
    for (const ts of [`+${NOW}`, ` ${NOW}`, `${NOW}.0`, `0x${NOW.toString(16)}`, '', `${NOW} `]) {
      const r = verifySlackRequest({
        signingSecret: SECRET,
        rawBody: body,
        timestamp: ts,
        signature: signSlackRequest(SECRET, ts, body),
        nowSeconds: NOW,
      });
      expect(r, JSON.stringify(ts)).toEqual({ ok: false, reason: 'missing or malformed timestamp' });
    }
  });

  it('refuses missing or malformed headers without throwing', () => {
    const base = { signingSecret: SECRET, rawBody: 'a=b', nowSeconds: NOW };
    expect(verifySlackRequest({ ...base, timestamp: undefined, signature: undefined })).toMatchObject({
      ok: false,
    });
    expect(verifySlackRequest({ ...base, timestamp: 'soon', signature: 'v0=00' })).toMatchObject({
      ok: false,
    });
    expect(verifySlackRequest({ ...base, timestamp: String(NOW), signature: 'v1=abc' })).toMatchObject({
      ok: false,
    });
    expect(
      verifySlackRequest({ ...base, timestamp: String(NOW), signature: `v0=${'g'.repeat(64)}` }),
    ).toMatchObject({ ok: false });
  });

  it('any change to body, timestamp or signature is refused (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.integer({ min: -300, max: 300 }),
        fc.nat({ max: 63 }),
        (body, extra, skew, flip) => {
          const ts = NOW + skew;
          const sig = signSlackRequest(SECRET, ts, body);
          const ok = (b: string, t: number, s: string) =>
            verifySlackRequest({
              signingSecret: SECRET,
              rawBody: b,
              timestamp: String(t),
              signature: s,
              nowSeconds: NOW,
            }).ok;
          const hex = sig.slice(3);
          const flipped = `v0=${hex.slice(0, flip)}${hex[flip] === '0' ? '1' : '0'}${hex.slice(flip + 1)}`;
          return (
            ok(body, ts, sig) &&
            !ok(body + extra, ts, sig) &&
            !ok(body, ts + 1, sig) &&
            !ok(body, ts, flipped)
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
