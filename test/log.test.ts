import { describe, expect, it } from 'vitest';
import { jsonLogger, SecretRedactor } from '../src/log.js';

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
