import { describe, expect, it } from 'vitest';
import { jsonLogger, REDACTED, redactDeep, SecretRedactor } from '../src/log.js';

describe('logger', () => {
  it('writes one JSON object per line with level, message and fields', () => {
    const lines: string[] = [];
    const log = jsonLogger({ write: (l) => lines.push(l), base: { fn: 'test' } });
    log.info('scan done', { requests: 11 });
    log.debug('hidden at info level');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 'info',
      msg: 'scan done',
      requests: 11,
      fn: 'test',
    });
  });

  it('scrubs registered secrets from messages, fields and error causes', () => {
    const secret = 'xoxb-123456789-abcdefghij';
    const redactor = new SecretRedactor();
    redactor.add(secret, undefined, 'short');
    const lines: string[] = [];
    const log = jsonLogger({ write: (l) => lines.push(l), redactor });
    log.error(`token ${secret} refused`, {
      header: secret,
      err: new Error('outer', { cause: new Error(`inner ${secret}`) }),
    });
    expect(lines[0]).not.toContain(secret);
    expect(lines[0]).toContain('[redacted]');
    expect(JSON.parse(lines[0] as string).err.cause.message).toBe('inner [redacted]');
  });

  it('does not scrub values too short to be secrets (they would match ordinary words)', () => {
    const redactor = new SecretRedactor();
    redactor.add('abc');
    expect(redactor.redact('abc')).toBe('abc');
  });
});

describe('SecretRedactor', () => {
  // Characters that every encoding changes: a space, a slash, a plus, a quote and a backslash.
  const secret = 'sandbox-idmelon-admin-key/with+odd "chars"\\ 0123';

  it.each([
    ['as sent', secret],
    ['URL-encoded', encodeURIComponent(secret)],
    ['JSON-escaped', JSON.stringify(secret).slice(1, -1)],
    ['base64', Buffer.from(secret).toString('base64')],
    ['base64 without padding', Buffer.from(secret).toString('base64').replace(/=+$/, '')],
    ['base64url', Buffer.from(secret).toString('base64url')],
  ])('redacts a secret echoed %s', (_form, echoed) => {
    const redactor = new SecretRedactor();
    redactor.add(secret);
    expect(redactor.redact(`vendor said: ${echoed}!`)).toBe(`vendor said: ${REDACTED}!`);
  });

  it('redacts the longer of two overlapping secrets whole, whichever was added first', () => {
    const redactor = new SecretRedactor();
    redactor.add('token-0123456789', 'Bearer token-0123456789-and-more');
    expect(redactor.redact('Bearer token-0123456789-and-more')).toBe(REDACTED);
  });

  it('leaves ordinary text, key ids and long identifiers alone: only known values are redacted', () => {
    const redactor = new SecretRedactor();
    redactor.add('a-registered-secret-0123');
    const text = 'key 65f1c0ffee0123456789abcd (eyJhbGciOiJIUzI1NiJ9 looks like a token but is not one)';
    expect(redactor.redact(text)).toBe(text);
  });

  it('redacts every string inside a payload, keeping keys, numbers and structure', () => {
    const redactor = new SecretRedactor();
    redactor.add(secret);
    const payload = {
      text: `failed: ${secret}`,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: encodeURIComponent(secret) } }],
      count: 3,
      ok: true,
      none: null,
    };
    expect(redactDeep(payload, redactor)).toEqual({
      text: `failed: ${REDACTED}`,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: REDACTED } }],
      count: 3,
      ok: true,
      none: null,
    });
    expect(payload.text).toContain(secret);
  });
});
