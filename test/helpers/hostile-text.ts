import fc from 'fast-check';

/** The code points the security review named: bidi controls, zero-width characters and the soft hyphen. */
export const BIDI_AND_INVISIBLE = [
  ...'\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c',
  ...'\u200b\u200c\u200d\u2060\ufeff\u00ad',
];

/** Matches any of `BIDI_AND_INVISIBLE`. */
export const bidiOrInvisible = new RegExp(`[${BIDI_AND_INVISIBLE.join('')}]`, 'u');

/**
 * What Slack would turn into a link: a URL scheme, a mailto, or a dot between two labels (a bare domain, `www.`,
 * the domain of an email). Slack finds links by these ASCII patterns.
 */
export const LINKABLE = /[a-z][a-z0-9+.-]*:\/\/|mailto:|[\p{L}\p{N}-]\.[\p{L}\p{N}]/iu;

/** Any text, with the characters that matter for Slack and terminals far likelier than in a uniform draw. */
export const hostileText = (maxLength: number) =>
  fc.string({
    maxLength,
    unit: fc.oneof(
      fc.constantFrom(
        ...BIDI_AND_INVISIBLE,
        ...'\u001b\u009b\u0007\u009c[]\\\n\r<>&!@#|*_~`:./',
        '<!channel>',
        '<@U1>',
        'https://',
        'evil.example',
      ),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    ),
  });
