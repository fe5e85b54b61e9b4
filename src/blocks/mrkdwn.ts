/**
 * Every vendor string that reaches Slack mrkdwn goes through `escapeMrkdwn`. Slack reads `<...>` as a link,
 * mention or broadcast, so a key named `<!channel>` would ping a whole channel; `&`, `<` and `>` are the three
 * characters Slack asks apps to escape (https://api.slack.com/reference/surfaces/formatting#escaping).
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Vendor text for one field of a row: control characters flattened, cut to `max` characters (before escaping,
 * so an entity is never cut in half), then escaped.
 */
export function field(text: string | null | undefined, max = 80): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: newlines and controls would break the row's layout
  const flat = (text ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  const cut = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return escapeMrkdwn(cut);
}

/** Plain text for `plain_text` objects (button labels, headers): no escaping needed, only a length cap. */
export function plain(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
