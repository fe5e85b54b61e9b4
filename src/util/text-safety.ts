/**
 * Vendor strings (key names, people, groups, error messages from IDmelon, TryMellon and Solvimon) are written by
 * whoever controls a vendor account, so before one is shown to an admin, in Slack or in a terminal, it must show
 * what it says and nothing else. This module holds the character classes that make that true everywhere; the
 * Slack renderer (`src/blocks/mrkdwn.ts`) and the terminal formatter (`src/cli/format.ts`) add their own markup rules.
 */

/**
 * Characters that are invisible or rearrange their neighbours, so a name holding them is not what it looks like:
 * - every Unicode format character (general category Cf). It covers the bidi controls (LRE/RLE/PDF/LRO/RLO
 *   U+202A–U+202E, LRI/RLI/FSI/PDI U+2066–U+2069, LRM/RLM U+200E/U+200F, ALM U+061C), which can show
 *   `invoice‮exe.pdf` as `invoicefdp.exe` and spill into the text after the name; the zero-width characters
 *   (U+200B–U+200D, word joiner U+2060, BOM U+FEFF), which make `ad‍min` look like `admin`; the soft hyphen U+00AD;
 *   the invisible operators U+2061–U+2064; and the tag characters U+E0000–U+E007F, which carry hidden ASCII.
 * - U+034F COMBINING GRAPHEME JOINER and the Hangul fillers U+115F, U+1160, U+3164, U+FFA0: not Cf, but drawn as
 *   nothing, which is why they are the usual way to make a "blank" name.
 * The cost: an emoji built with a zero-width joiner (👩‍💻) shows as its parts with a marker between them.
 */
const INVISIBLE = '\\p{Cf}\\u034f\\u115f\\u1160\\u3164\\uffa0';

/**
 * C0 controls, DEL and C1 controls (U+0080–U+009F, where U+009B is a one-character CSI on terminals that honour
 * C1), plus the Unicode line and paragraph separators U+2028/U+2029: all of them break a one-line layout.
 */
const CONTROLS = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029';

/**
 * What replaces a run of invisible characters: U+FFFD REPLACEMENT CHARACTER, the standard "something here could
 * not be shown" glyph. Deleting them instead would make `ad‍min` show as `admin`, the very spoof we are stopping,
 * and two different vendor names would look identical; a visible marker tells the admin the name is not plain.
 */
export const INVISIBLE_MARK = '\uFFFD';

const invisibleRun = new RegExp(`[${INVISIBLE}]+`, 'gu');
const control = new RegExp(`[${CONTROLS}]`, 'g');

/** Replaces each run of bidi, zero-width and other invisible format characters with one visible `INVISIBLE_MARK`. */
export function markInvisible(text: string): string {
  return text.replace(invisibleRun, INVISIBLE_MARK);
}

/** Replaces each control character with a space, so a vendor string stays on its line and in its column. */
export function flattenControls(text: string): string {
  return text.replace(control, ' ');
}

/**
 * A vendor string made to sit on one line and show only visible characters: controls become spaces, invisible
 * characters a marker, outer whitespace is trimmed. Markup rules for the place it is shown come on top.
 */
export function visibleLine(text: string | null | undefined): string {
  return markInvisible(flattenControls(text ?? '')).trim();
}

/**
 * Cuts `text` to at most `max` UTF-16 units, ending with `…` when it was longer. Never splits a surrogate pair
 * (an emoji, a rare CJK character): half of one is not valid text, and Slack shows it as U+FFFD at best.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/**
 * ECMA-48 escape sequences, matched whole so nothing of them is printed (stripping only ESC would leave `[2J`
 * behind, harmless but noise):
 * 1. string commands (OSC `ESC ]`, DCS `ESC P`, SOS `ESC X`, PM `ESC ^`, APC `ESC _`, and their C1 forms U+0090,
 *    U+0098, U+009D–U+009F) up to BEL or ST (`ESC \` or U+009C); an unterminated one runs to the end of the
 *    string, as a terminal would swallow it. OSC 0 retitles the window, OSC 8 makes a hyperlink, OSC 52 writes
 *    the clipboard.
 * 2. CSI (`ESC [` or U+009B), parameters, intermediates and a final byte: cursor moves, `2J` clear screen,
 *    colours.
 * 3. any other escape (`ESC c` resets the terminal, `ESC (0` switches the character set).
 */
const escapeSequence = new RegExp(
  [
    '(?:\\u001b[\\]PX^_]|[\\u0090\\u0098\\u009d-\\u009f])[^\\u0007\\u001b\\u009c]*(?:\\u0007|\\u001b\\\\|\\u009c)?',
    '(?:\\u001b\\[|\\u009b)[\\u0030-\\u003f]*[\\u0020-\\u002f]*[\\u0040-\\u007e]',
    '\\u001b[\\u0020-\\u002f]*[\\u0030-\\u007e]',
  ].join('|'),
  'g',
);

/** Removes ECMA-48 escape sequences whole (see above); other characters are left as they are. */
export function withoutEscapeSequences(text: string): string {
  return text.replace(escapeSequence, '');
}

/**
 * A vendor string for a terminal: escape sequences removed whole, every other control (a lone ESC, BEL, CR that
 * would overwrite the line, C1) a space, invisible and bidi characters a marker (terminals with bidi support
 * reorder text as Slack does). One line, ready for a table cell.
 */
export function terminalText(text: string | null | undefined): string {
  return visibleLine((text ?? '').replace(escapeSequence, ''));
}

/** Several lines for a terminal, each made safe with `terminalText` (leading indentation kept). */
export function terminalLines(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const indent = /^ */.exec(line)?.[0] ?? '';
      const safe = terminalText(line);
      return safe ? indent + safe : '';
    })
    .join('\n');
}

const jsonUnsafe = new RegExp(`[\\u007f-\\u009f\\u2028\\u2029${INVISIBLE}]`, 'gu');

/**
 * JSON for a terminal or a log: `JSON.stringify` escapes only U+0000–U+001F, so DEL, the C1 controls (U+009B is a
 * CSI) and bidi characters would reach the terminal raw. They only ever occur inside JSON strings, so writing them
 * as `\uXXXX` keeps the JSON valid and its parsed value unchanged.
 */
export function escapeJsonForTerminal(json: string): string {
  return json.replace(jsonUnsafe, (c) =>
    Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(
      '',
    ),
  );
}
