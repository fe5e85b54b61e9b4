import { cutText, visibleLine } from '../util/text-safety.js';

/**
 * Escapes the three characters Slack asks apps to escape (https://api.slack.com/reference/surfaces/formatting#escaping).
 * Slack reads `<...>` as a link, mention or broadcast, so a key named `<!channel>` would ping a whole channel.
 * Enough for Keywarden's own text (the usage in a code block); vendor strings need `field`.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Look-alikes for the characters that are markup in Slack mrkdwn. Slack has no backslash escape, and the usual
 * trick (a zero-width space beside the marker) is an invisible character, which `field` exists to remove. A
 * look-alike shows the same glyph and is never markup:
 * - `*` bold → U+2217 ASTERISK OPERATOR `∗`
 * - `_` italic → U+FF3F FULLWIDTH LOW LINE `＿`
 * - `~` strike → U+223C TILDE OPERATOR `∼`
 * - `` ` `` code → U+02CB MODIFIER LETTER GRAVE ACCENT `ˋ`
 * - `:` followed by anything but a space → U+2236 RATIO `∶`: such a colon opens an emoji shortcode
 *   (`:white_check_mark: approved`) or ends a URL scheme (`https://`, `mailto:`, `slack:`), which Slack turns into
 *   a link. A colon before a space (`Statistics: groups`) is punctuation and stays.
 * The cost: text copied out of Slack has these characters, not the vendor's; the CLI's --json has the originals.
 */
const LOOK_ALIKE: Record<string, string> = {
  '*': '\u2217',
  _: '\uFF3F',
  '~': '\u223C',
  '`': '\u02CB',
  ':': '\u2236',
};

/**
 * Vendor text that Slack shows literally: markup characters as look-alikes, and every `.` followed by a letter
 * or digit as U+2024 ONE DOT LEADER `․`. Slack links bare domains (`evil.example`, `www.evil.example/login`) and
 * emails (`alice@acme.example` becomes a mailto link) by finding a dot between labels; without one there is
 * nothing to link, while a full stop at the end of a sentence stays a full stop.
 */
export function literalMrkdwn(text: string): string {
  return escapeMrkdwn(
    text.replace(/[*_~`]|:(?=\S)/g, (c) => LOOK_ALIKE[c] ?? c).replace(/\.(?=[\p{L}\p{N}])/gu, '\u2024'),
  );
}

/**
 * Vendor text for one field of a row: controls flattened, invisible and bidi characters marked (see
 * `src/util/text-safety.ts`), cut to `max` characters before anything is escaped (so an entity is never cut in
 * half), then made literal. Mentions and links Keywarden builds itself (`<@U…>`, `<!date…>`) are written around
 * fields, never through them, so they keep working.
 */
export function field(text: string | null | undefined, max = 80): string {
  return literalMrkdwn(cutText(visibleLine(text), max));
}

/**
 * Text for `plain_text` objects (button labels, headers, confirm titles). Slack never reads markup or links in
 * plain_text, but it still draws bidi and zero-width characters, so those are marked; then a length cap.
 */
export function plain(text: string, max: number): string {
  return cutText(visibleLine(text), max);
}

/** A time Slack shows in each reader's own time zone (`<!date^…>`), `fallback` where a client cannot. */
export function slackDate(iso: string, format: string, fallback: string): string {
  return `<!date^${Math.floor(Date.parse(iso) / 1000)}^${format}|${fallback}>`;
}
