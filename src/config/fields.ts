import * as z from 'zod';

/**
 * Field schemas shared by the environment, the settings and the secret bundle, so a URL or a number is checked the
 * same way wherever it is read.
 */

/** Unset and empty mean the same thing: `FOO= npm start` should not count as a setting. */
export const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

export const httpUrl = z
  .string()
  .trim()
  .refine((s) => /^https?:\/\/[^\s/]+/.test(s) && URL.canParse(s), { message: 'must be an http(s) URL' });

export const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `must be from ${min} to ${max}` });

const DURATION_UNITS_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A duration in milliseconds, written `90s`, `30m`, `1h`, `2d`, or a plain number of seconds; `0` is zero. At most
 * `maxMs`.
 */
export const duration = (maxMs: number) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^\d+\s*[smhd]?$/, {
      message: 'must be a duration such as 90s, 30m, 1h or 2d (a plain number is seconds)',
    })
    .transform((s) => {
      const unit = (/[smhd]$/.exec(s)?.[0] ?? 's') as keyof typeof DURATION_UNITS_MS;
      return Number.parseInt(s, 10) * DURATION_UNITS_MS[unit];
    })
    .refine((ms) => ms <= maxMs, { message: `must be at most ${maxMs / 86_400_000} days` });
