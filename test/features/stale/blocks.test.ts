import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockLimitViolations, LIMITS } from '../../../src/blocks/limits.js';
import { escapeMrkdwn, field } from '../../../src/blocks/mrkdwn.js';
import type { Key } from '../../../src/domain/provider.js';
import { renderLookup } from '../../../src/features/lookup/blocks.js';
import { PAGE_SIZE, renderStaleReport } from '../../../src/features/stale/blocks.js';
import { csvCell, keysCsv } from '../../../src/features/stale/csv.js';
import type { StaleReport } from '../../../src/services/stale.js';
import { bidiOrInvisible, hostileText, LINKABLE } from '../../helpers/hostile-text.js';
import { NOW } from '../../helpers/idmelon.js';

const HOSTILE = [
  '<!channel>',
  '<@U0EVIL123>',
  '<#C0GENERAL>',
  '<!here|here>',
  '&lt;',
  'a & b > c',
  '<https://evil.example|click me>',
];

function key(i: number, over: Partial<Key> = {}): Key {
  return {
    vendor: 'idmelon',
    id: `k${i.toString(16).padStart(23, '0')}`,
    name: `${HOSTILE[i % HOSTILE.length]} ${'x'.repeat(i % 7 === 0 ? 5000 : 10)}`,
    type: ['phone', 'badge', 'desktop'][i % 3] as string,
    owner: { email: `user${i}@acme.example`, name: HOSTILE[(i + 1) % HOSTILE.length] },
    lastUsedAt: i % 10 === 0 ? null : new Date(NOW.getTime() - (100 + i) * 86_400_000).toISOString(),
    uses: i % 10 === 0 ? 0 : i,
    status: 'active',
    ...over,
  };
}

function report(n: number): StaleReport {
  const keys = Array.from({ length: n }, (_, i) => key(i));
  const stale = keys.filter((k) => k.lastUsedAt !== null);
  const neverUsed = keys.filter((k) => k.lastUsedAt === null);
  return {
    days: 90,
    cutoff: new Date(NOW.getTime() - 90 * 86_400_000).toISOString(),
    generatedAt: NOW.toISOString(),
    totals: { stale: stale.length, neverUsed: neverUsed.length },
    sections: [
      {
        vendor: 'idmelon',
        label: 'IDmelon',
        tracksUse: true,
        stale,
        neverUsed,
        byType: { phone: { stale: 1, neverUsed: 1 }, badge: { stale: 1, neverUsed: 0 } },
        oldest: stale[0] ?? null,
        requests: Math.ceil(n / 100) + 1,
        scan: 'sorted',
        note: 'x'.repeat(5000),
      },
    ],
  };
}

describe('stale list rendering', () => {
  it('keeps every Slack limit for 10 000 stale keys on the first, a middle and the last page', () => {
    const r = report(10_000);
    for (const offset of [0, 4_980, 9_980, 20_000]) {
      const { blocks, text } = renderStaleReport(r, { offset, csvNote: 'y'.repeat(5000) });
      expect(blockLimitViolations(blocks)).toEqual([]);
      expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
      expect(text.length).toBeLessThan(LIMITS.messageText);
    }
  });

  it('shows the 20 oldest keys with name, owner, type, last use and uses, never-used first', () => {
    const { blocks } = renderStaleReport(report(100));
    const rows = blocks
      .slice(blocks.findIndex((b) => b.type === 'divider') + 1)
      .filter((b) => b.type === 'section');
    expect(rows).toHaveLength(PAGE_SIZE);
    const first = String((rows[0]?.text as { text?: string } | undefined)?.text);
    // The owner's email shows literally, with a one-dot leader so Slack does not make it a mailto link.
    expect(first).toContain('user0@acme\u2024example');
    expect(first).toContain('last used never');
    const stale = String((rows[10]?.text as { text?: string } | undefined)?.text);
    expect(stale).toMatch(/badge · last used 101 days ago · 1 use$/);
  });

  it('offers "Next 20" and "Download CSV" only when there are more than 20', () => {
    expect(JSON.stringify(renderStaleReport(report(20)).blocks)).not.toContain('stale_next');
    const many = JSON.stringify(renderStaleReport(report(21)).blocks);
    expect(many).toContain('"action_id":"stale_next"');
    expect(many).toContain('"text":"Next 1"');
    expect(many).toContain('"action_id":"stale_csv"');
  });

  it('never lets a vendor string ping anyone or open a link', () => {
    const json = JSON.stringify(renderStaleReport(report(200), { offset: 0 }).blocks);
    for (const bad of ['<!channel>', '<@U0EVIL123>', '<#C0GENERAL>', '<!here', '<https://'])
      expect(json).not.toContain(bad);
    expect(json).toContain('&lt;!channel&gt;');
  });

  it('says so plainly when nothing is stale', () => {
    const { blocks } = renderStaleReport(report(0));
    expect(JSON.stringify(blocks)).toContain('Nothing stale');
    expect(blockLimitViolations(blocks)).toEqual([]);
  });

  it('shows a failed vendor as one sentence, escaped', () => {
    const r = report(0);
    const s = r.sections[0];
    if (s) s.failure = { message: 'IDmelon is failing <!channel> after 4 attempts.' };
    const json = JSON.stringify(renderStaleReport(r).blocks);
    expect(json).toContain('could not scan');
    expect(json).not.toContain('<!channel>');
  });
});

describe('user lookup rendering', () => {
  it('keeps the limits for a user with 500 keys and hostile names', () => {
    const keys = Array.from({ length: 500 }, (_, i) => key(i));
    const passkeys = Array.from({ length: 40 }, (_, i) => ({
      id: `p${i}`,
      name: HOSTILE[i % HOSTILE.length] as string,
      lastUsedAt: null,
    }));
    const { blocks } = renderLookup(
      {
        query: '<!channel>',
        results: [
          {
            vendor: 'idmelon',
            label: 'IDmelon',
            kind: 'found',
            requests: 4,
            profile: {
              user: { vendor: 'idmelon', id: 'u1', email: '<@U1>@x', name: '<!everyone>' },
              keys,
              passkeys,
              groups: [{ id: 'g', name: 'R&D <Labs>' }],
            },
          },
        ],
      },
      NOW,
    );
    expect(blockLimitViolations(blocks)).toEqual([]);
    const json = JSON.stringify(blocks.slice(1));
    for (const bad of ['<!channel>', '<@U1>', '<!everyone>', '<Labs>']) expect(json).not.toContain(bad);
  });
});

describe('mrkdwn escaping (property)', () => {
  it('leaves no <, > or bare & in any vendor string, and is reversible', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const e = escapeMrkdwn(s);
        const unescaped = e.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
        return !/[<>]/.test(e) && !/&(?!amp;|lt;|gt;)/.test(e) && unescaped === s;
      }),
      { numRuns: 3000 },
    );
  });

  it('no <!, <@ or <# survives in a rendered field, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.integer({ min: 1, max: 120 }), (s, max) => {
        const f = field(`<!${s}<@${s}<#${s}`, max);
        return !f.includes('<!') && !f.includes('<@') && !f.includes('<#') && !f.includes('<');
      }),
    );
  });

  it('a rendered field has no bidi or zero-width character, no markup, nothing to link, whatever the input', () => {
    fc.assert(
      fc.property(hostileText(300), fc.integer({ min: 1, max: 120 }), (s, max) => {
        const f = field(s, max);
        return (
          !bidiOrInvisible.test(f) &&
          !/[<>*_~`\n\r]/.test(f) &&
          !f.includes('<!') &&
          !f.includes('<@') &&
          !f.includes('<#') &&
          !LINKABLE.test(f)
        );
      }),
      { numRuns: 500 },
    );
  });
});

describe('CSV', () => {
  it('quotes commas, quotes and newlines, and defuses spreadsheet formulas', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("http://evil")')).toBe(`"'=HYPERLINK(""http://evil"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(null)).toBe('');
  });

  it('has one line per key under a header', () => {
    const csv = keysCsv([key(1), key(10)], NOW);
    const lines = csv.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain(',never,,0');
  });
});
