/**
 * Whether `text` matches `pattern`, ignoring case: `*` stands for any run of characters (none included), `?` for
 * exactly one, and everything else for itself. Runs in time proportional to the lengths' product at worst, whatever
 * the pattern (no regular expression is built from it).
 */
export function globMatch(pattern: string, text: string): boolean {
  const p = Array.from(pattern.toLowerCase());
  const t = Array.from(text.toLowerCase());
  let pi = 0;
  let ti = 0;
  // Where the last `*` was, and how much of the text it has swallowed so far.
  let star = -1;
  let swallowed = 0;
  while (ti < t.length) {
    const c = p[pi];
    if (c === '*') {
      star = pi++;
      swallowed = ti;
    } else if (c !== undefined && (c === '?' || c === t[ti])) {
      pi++;
      ti++;
    } else if (star >= 0) {
      pi = star + 1;
      ti = ++swallowed;
    } else return false;
  }
  while (p[pi] === '*') pi++;
  return pi === p.length;
}
