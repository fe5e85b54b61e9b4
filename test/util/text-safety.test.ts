import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cutText,
  escapeJsonForTerminal,
  INVISIBLE_MARK,
  markInvisible,
  terminalLines,
  terminalText,
  visibleLine,
} from '../../src/util/text-safety.js';
import { BIDI_AND_INVISIBLE, bidiOrInvisible, hostileText } from '../helpers/hostile-text.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const terminalControl = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('invisible and bidi characters', () => {
  it('turns a right-to-left override into a visible marker, so "invoice‮gnp.exe" cannot pose as "invoiceexe.png"', () => {
    expect(markInvisible('invoice\u202egnp.exe')).toBe(`invoice${INVISIBLE_MARK}gnp.exe`);
  });

  it('marks zero-width joiners inside "admin" once per run, so the name does not read as "admin"', () => {
    const spoof = markInvisible('ad\u200d\u200b\u2060min');
    expect(spoof).toBe(`ad${INVISIBLE_MARK}min`);
    expect(spoof).not.toBe('admin');
  });

  it('marks every code point the review named, and the hidden ASCII of tag characters', () => {
    for (const c of BIDI_AND_INVISIBLE) expect(markInvisible(`a${c}b`)).toBe(`a${INVISIBLE_MARK}b`);
    expect(markInvisible('ok\u{e0041}\u{e0042}')).toBe(`ok${INVISIBLE_MARK}`);
    expect(markInvisible('\u3164')).toBe(INVISIBLE_MARK);
  });

  it('leaves ordinary text in any script alone', () => {
    for (const s of ['Zoë García', 'Müller', '田中 太郎', 'مريم', 'Badge 1234', "Alice's iPhone 15"])
      expect(visibleLine(s)).toBe(s);
  });

  it('puts a vendor string on one line: controls become spaces and the ends are trimmed', () => {
    expect(visibleLine('\tKey\r\nname\u2028two\u0085 ')).toBe('Key  name two');
    expect(visibleLine(undefined)).toBe('');
  });
});

describe('terminal text', () => {
  it('removes whole escape sequences: clear screen, window title, colours', () => {
    expect(terminalText('\u001b[2J\u001b]0;pwned\u0007evil')).toBe('evil');
    expect(terminalText('\u009b31mred\u001b[0m')).toBe('red');
    expect(terminalText('\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\')).toBe('click');
    expect(terminalText('reset\u001bc')).toBe('reset');
  });

  it('swallows an unterminated string command as a terminal would, and blanks a lone ESC or BEL', () => {
    expect(terminalText('name\u001b]0;title never ends')).toBe('name');
    expect(terminalText('a\u001b\u00e9')).toBe('a é');
    expect(terminalText('bell\u0007')).toBe('bell');
  });

  it('keeps a carriage return from overwriting the line, and marks bidi characters', () => {
    expect(terminalText('safe\rEVIL')).toBe('safe EVIL');
    expect(terminalText('x\u202ey')).toBe(`x${INVISIBLE_MARK}y`);
  });

  it('leaves no ESC, BEL, C0 or C1 control and no bidi character, whatever the input', () => {
    fc.assert(
      fc.property(hostileText(200), (s) => {
        const t = terminalText(s);
        return !terminalControl.test(t) && !t.includes('\n') && !bidiOrInvisible.test(t);
      }),
      { numRuns: 500 },
    );
  });

  it('cleans each line of a multi-line text and keeps its indentation', () => {
    expect(terminalLines('== Header\n  \u001b[31mred\u001b[0m · ok\n---')).toBe('== Header\n  red · ok\n---');
  });
});

describe('JSON for a terminal', () => {
  it('writes DEL, C1 and bidi characters as \\u escapes, which JSON.stringify leaves raw', () => {
    const json = JSON.stringify({ name: '\u009b31m\u007f\u202e\u{e0041}' });
    expect(json).toContain('\u009b');
    expect(escapeJsonForTerminal(json)).toBe('{"name":"\\u009b31m\\u007f\\u202e\\udb40\\udc41"}');
  });

  it('parses back to the same value and carries no raw control or bidi character, whatever the input', () => {
    fc.assert(
      fc.property(fc.array(hostileText(60), { maxLength: 4 }), (names) => {
        const out = escapeJsonForTerminal(JSON.stringify({ names }, null, 2));
        const withoutLayout = out.replace(/\n/g, '');
        return (
          JSON.stringify(JSON.parse(out)) === JSON.stringify({ names }) &&
          !terminalControl.test(withoutLayout) &&
          !bidiOrInvisible.test(out)
        );
      }),
      { numRuns: 500 },
    );
  });
});

describe('cutting text', () => {
  it('ends with … and never splits an emoji in half', () => {
    expect(cutText('abcdef', 4)).toBe('abc…');
    expect(cutText('abc', 3)).toBe('abc');
    expect(cutText('ab😀cd', 4)).toBe('ab…');
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.integer({ min: 1, max: 50 }),
        (s, max) => {
          const c = cutText(s, max);
          return c.length <= max && !/[\ud800-\udbff](?![\udc00-\udfff])/.test(c);
        },
      ),
    );
  });
});
