import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keysUsage, parseKeysCommand, parseUserCommand, USER_USAGE } from '../../src/commands/grammar.js';
import { VENDORS } from '../../src/providers/registry.js';

const KEYS_USAGE = keysUsage(VENDORS);

describe('/keys audit', () => {
  it('takes an optional number of days, 7 by default', () => {
    expect(parseKeysCommand('audit', VENDORS)).toEqual({
      ok: true,
      command: { kind: 'keys.audit', days: 7 },
    });
    expect(parseKeysCommand('audit 30', VENDORS)).toEqual({
      ok: true,
      command: { kind: 'keys.audit', days: 30 },
    });
    expect(parseKeysCommand('audit soon', VENDORS)).toMatchObject({ ok: false });
  });
});

describe('/keys grammar', () => {
  it('parses "stale <days>" and an optional key type, which picks the vendor it belongs to', () => {
    expect(parseKeysCommand('stale 90', VENDORS)).toEqual({
      ok: true,
      command: { kind: 'keys.stale', days: 90 },
    });
    expect(parseKeysCommand('  STALE   30  Badge ', VENDORS)).toEqual({
      ok: true,
      command: { kind: 'keys.stale', days: 30, type: 'badge', vendor: 'idmelon' },
    });
  });

  it("knows every vendor's key types: passkey is TryMellon's, api-key Solvimon's", () => {
    expect(parseKeysCommand('stale 90 passkey', VENDORS)).toEqual({
      ok: true,
      command: { kind: 'keys.stale', days: 90, type: 'passkey', vendor: 'trymellon' },
    });
    expect(parseKeysCommand('stale 90 solvimon api-key', VENDORS)).toEqual({
      ok: true,
      command: { kind: 'keys.stale', days: 90, type: 'api-key', vendor: 'solvimon' },
    });
    expect(parseKeysCommand('stale 90 passkey idmelon', VENDORS)).toMatchObject({
      ok: false,
      problem: "idmelon has no passkey keys (passkey keys are trymellon's)",
    });
  });

  it('takes a vendor, alone or with a key type, in either order', () => {
    expect(parseKeysCommand('stale 90 trymellon', VENDORS)).toEqual({
      ok: true,
      command: { kind: 'keys.stale', days: 90, vendor: 'trymellon' },
    });
    expect(parseKeysCommand('stale 90 IDmelon badge', VENDORS)).toEqual({
      ok: true,
      command: { kind: 'keys.stale', days: 90, type: 'badge', vendor: 'idmelon' },
    });
  });

  it('parses "digest"', () => {
    expect(parseKeysCommand('digest', VENDORS)).toEqual({ ok: true, command: { kind: 'keys.digest' } });
  });

  it('treats an empty command and "help" as help', () => {
    expect(parseKeysCommand('', VENDORS)).toEqual({ ok: true, command: { kind: 'keys.help' } });
    expect(parseKeysCommand('help', VENDORS)).toEqual({ ok: true, command: { kind: 'keys.help' } });
  });

  it.each([
    ['stale', 'days is missing'],
    ['stale abc', 'days must be a whole number from 1 to 3650 (got "abc")'],
    ['stale -3', 'days must be a whole number from 1 to 3650 (got "-3")'],
    ['stale 0', 'days must be a whole number from 1 to 3650 (got "0")'],
    ['stale 99999', 'days must be a whole number from 1 to 3650 (got "99999")'],
    ['stale 2.5', 'days must be a whole number from 1 to 3650 (got "2.5")'],
    [
      'stale 90 laptop',
      '"laptop" is neither a key type (phone, badge, desktop, passkey, api-key) nor a vendor (idmelon, trymellon, solvimon)',
    ],
    ['stale 90 phone badge', '"badge" is given twice'],
    ['stale 90 idmelon solvimon', '"solvimon" is given twice'],
    ['digest now', 'unexpected "now" after digest'],
    ['frobnicate', 'unknown subcommand "frobnicate"'],
  ])('rejects %j: %s', (text, problem) => {
    expect(parseKeysCommand(text, VENDORS)).toEqual({ ok: false, problem, usage: KEYS_USAGE });
  });

  it('accepts the bounds 1 and 3650', () => {
    expect(parseKeysCommand('stale 1', VENDORS)).toMatchObject({ ok: true });
    expect(parseKeysCommand('stale 3650', VENDORS)).toMatchObject({ ok: true });
  });

  it('shortens a long pasted argument when echoing it back', () => {
    const result = parseKeysCommand(`stale ${'9'.repeat(500)}`, VENDORS);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem.length).toBeLessThan(120);
  });

  it('never throws: any text is a command or a usage error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const r = parseKeysCommand(text, VENDORS);
        return r.ok ? r.command.kind.startsWith('keys.') : r.problem.length > 0 && r.usage === KEYS_USAGE;
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts exactly the whole numbers 1-3650 as days', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10_000, max: 10_000 }), (n) => {
        const r = parseKeysCommand(`stale ${n}`, VENDORS);
        return r.ok === (n >= 1 && n <= 3650);
      }),
    );
  });
});

describe('/user grammar', () => {
  it('parses a lookup by email, id or name', () => {
    expect(parseUserCommand('lookup alice@acme.example')).toEqual({
      ok: true,
      command: { kind: 'user.lookup', query: 'alice@acme.example' },
    });
    expect(parseUserCommand('lookup  Alice   Anders ')).toEqual({
      ok: true,
      command: { kind: 'user.lookup', query: 'Alice Anders' },
    });
  });

  it("takes the address back out of Slack's mailto formatting", () => {
    expect(parseUserCommand('lookup <mailto:alice@acme.example|alice@acme.example>')).toEqual({
      ok: true,
      command: { kind: 'user.lookup', query: 'alice@acme.example' },
    });
  });

  it('names a missing query and an unknown subcommand', () => {
    expect(parseUserCommand('lookup')).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/missing/),
    });
    expect(parseUserCommand('find bob')).toEqual({
      ok: false,
      problem: 'unknown subcommand "find"',
      usage: USER_USAGE,
    });
  });

  it('refuses an over-long query', () => {
    expect(parseUserCommand(`lookup ${'a'.repeat(201)}`)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/too long/),
    });
  });

  it('never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const r = parseUserCommand(text);
        return r.ok || r.problem.length > 0;
      }),
      { numRuns: 2000 },
    );
  });
});

describe('--live', () => {
  it('asks the vendors for a stale list, wherever it is written', () => {
    expect(parseKeysCommand('stale 90 --live', VENDORS)).toEqual({
      ok: true,
      command: { kind: 'keys.stale', days: 90, live: true },
    });
    expect(parseKeysCommand('stale --LIVE 90 phone', VENDORS)).toEqual({
      ok: true,
      command: { kind: 'keys.stale', days: 90, type: 'phone', vendor: 'idmelon', live: true },
    });
  });

  it('reads —live and –live as --live: Slack’s smart punctuation turns two hyphens into a dash', () => {
    expect(parseKeysCommand('stale 90 \u2014live', VENDORS)).toMatchObject({ command: { live: true } });
    expect(parseUserCommand('lookup alice \u2013live')).toEqual({
      ok: true,
      command: { kind: 'user.lookup', query: 'alice', live: true },
    });
  });

  it('asks the vendors for a lookup, and is not part of the query', () => {
    expect(parseUserCommand('lookup alice@acme.example --live')).toEqual({
      ok: true,
      command: { kind: 'user.lookup', query: 'alice@acme.example', live: true },
    });
    expect(parseUserCommand('lookup Alice Anders')).toEqual({
      ok: true,
      command: { kind: 'user.lookup', query: 'Alice Anders' },
    });
  });

  it('still needs the days, or someone to look up', () => {
    expect(parseKeysCommand('stale --live', VENDORS)).toMatchObject({
      ok: false,
      problem: 'days is missing',
    });
    expect(parseUserCommand('lookup --live')).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/who to look up is missing/),
    });
  });

  it('is another word elsewhere: "-live" is not the option', () => {
    expect(parseKeysCommand('stale 90 -live', VENDORS)).toMatchObject({ ok: false });
  });

  it('is in the usage', () => {
    expect(KEYS_USAGE).toContain('[--live]');
    expect(USER_USAGE).toContain('/user lookup <email|id|name> [--live]');
  });
});
