import { describe, expect, it } from 'vitest';
import { errorMessage } from '../../src/blocks/common.js';
import { button, header } from '../../src/blocks/kit.js';
import { field, plain } from '../../src/blocks/mrkdwn.js';
import type { Key } from '../../src/domain/provider.js';
import { renderLookup } from '../../src/features/lookup/blocks.js';
import { approvalMessage } from '../../src/features/revocation/blocks.js';
import { keyRowText } from '../../src/features/stale/blocks.js';
import type { RequestedKey, RevocationRequest } from '../../src/store/requests.js';
import { INVISIBLE_MARK } from '../../src/util/text-safety.js';
import { bidiOrInvisible, LINKABLE } from '../helpers/hostile-text.js';
import { NOW } from '../helpers/idmelon.js';

const MARKUP_NAME = '*URGENT* _click_ ~x~ `code`';
const RLO_NAME = 'invoice\u202egnp.exe';
const ZWJ_ADMIN = 'ad\u200dmi\u200dn';

function key(name: string, email: string): Key {
  return {
    vendor: 'idmelon',
    id: 'k1',
    name,
    type: 'phone',
    owner: { id: 'u1', email, name: 'Alice' },
    lastUsedAt: null,
    uses: 0,
    status: 'active',
  };
}

function request(keys: readonly RequestedKey[]): RevocationRequest {
  return {
    id: 'R-1',
    state: 'pending',
    requester: 'U123',
    reason: 'see https://evil.example/login *now*',
    keyCount: keys.length,
    vendors: ['idmelon'],
    createdAt: NOW.toISOString(),
    validUntil: new Date(NOW.getTime() + 86_400_000).toISOString(),
    dryRun: false,
    attempt: 0,
  };
}

describe('vendor text in Slack mrkdwn', () => {
  it('shows *bold* _italic_ ~strike~ `code` literally, with look-alikes that are not markup', () => {
    expect(field(MARKUP_NAME)).toBe('∗URGENT∗ ＿click＿ ∼x∼ ˋcodeˋ');
  });

  it.each([
    ['https://evil.example/login', 'https∶//evil․example/login'],
    ['evil.example', 'evil․example'],
    ['www.evil.example', 'www․evil․example'],
    ['alice@acme.example', 'alice@acme․example'],
    ['mailto:alice@acme.example', 'mailto∶alice@acme․example'],
    ['slack://open', 'slack∶//open'],
  ])('leaves nothing for Slack to link in %s, and keeps it readable', (vendor, shown) => {
    expect(field(vendor)).toBe(shown);
    expect(field(vendor)).not.toMatch(LINKABLE);
  });

  it('turns no :shortcode: into an emoji', () => {
    expect(field(':white_check_mark: approved')).toBe('∶white＿check＿mark: approved');
  });

  it('keeps ordinary punctuation: a colon before a space, a full stop at the end', () => {
    expect(field('Statistics: groups. Try again later.')).toBe('Statistics: groups. Try again later.');
  });

  it('marks a right-to-left override, so "invoice‮gnp.exe" shows in its real order', () => {
    expect(field(RLO_NAME)).toBe(`invoice${INVISIBLE_MARK}gnp․exe`);
  });

  it('marks zero-width joiners, so "ad‍mi‍n" does not pass for "admin"', () => {
    expect(field(ZWJ_ADMIN)).toBe(`ad${INVISIBLE_MARK}mi${INVISIBLE_MARK}n`);
  });

  it('cuts before escaping: never through an entity or an emoji', () => {
    expect(field('&'.repeat(20), 4)).toBe('&amp;&amp;&amp;…');
    expect(field('ab😀😀', 4)).toBe('ab…');
  });

  it('marks bidi and zero-width characters in plain_text too (headers, buttons), where markup is not read', () => {
    expect(plain(`Hi ${RLO_NAME} *x*`, 150)).toBe(`Hi invoice${INVISIBLE_MARK}gnp.exe *x*`);
    expect(JSON.stringify(header(`User lookup: ${ZWJ_ADMIN}`))).not.toMatch(bidiOrInvisible);
    expect(JSON.stringify(button(`Revoke ${ZWJ_ADMIN}`, 'a', 'v'))).not.toMatch(bidiOrInvisible);
  });
});

describe('rendered messages with hostile vendor strings', () => {
  it('shows a stale row with the name in Keywarden’s bold and nothing else formatted, linked or hidden', () => {
    const row = keyRowText(key(`${MARKUP_NAME} ${RLO_NAME} ${ZWJ_ADMIN}`, 'alice@acme.example'), NOW, false);
    expect(row.startsWith('*∗URGENT∗ ＿click＿ ∼x∼ ˋcodeˋ invoice')).toBe(true);
    // The only live markup is the pair of asterisks Keywarden puts around the name.
    expect(row.match(/\*/g)).toHaveLength(2);
    expect(row).not.toMatch(/[_~`]/);
    expect(row).not.toMatch(LINKABLE);
    expect(row).not.toMatch(bidiOrInvisible);
    expect(row).toContain('alice@acme․example');
  });

  it('keeps the mention and date Keywarden builds in an approval message, around neutralised vendor text', () => {
    const keys: RequestedKey[] = [
      {
        vendor: 'idmelon',
        id: 'k1',
        name: RLO_NAME,
        type: 'phone',
        ownerEmail: 'https://evil.example/login',
      },
    ];
    const { blocks } = approvalMessage(request(keys), keys, { users: ['U999'] }, NOW);
    const json = JSON.stringify(blocks);
    expect(json).toContain('<@U123> asks to revoke');
    expect(json).toContain('<@U999>');
    expect(json).toMatch(/<!date\^\d+\^/);
    expect(json).not.toMatch(bidiOrInvisible);
    // The sections carry the vendor text (the date's ISO fallback in the context line has dots of its own).
    const sections = blocks
      .filter((b) => b.type === 'section')
      .map((b) => (b.text as { text: string }).text)
      .join('\n');
    expect(sections).toContain('Reason: see https∶//evil․example/login ∗now∗');
    expect(sections).toContain(`*invoice${INVISIBLE_MARK}gnp․exe*`);
    expect(sections).not.toMatch(LINKABLE);
  });

  it('escapes the notification text too, which Slack reads for mentions', () => {
    const error = errorMessage('IDmelon answered 400: <!channel> see evil.example');
    expect(error.text).not.toContain('<!channel>');
    expect(error.text).not.toMatch(LINKABLE);
    const lookup = renderLookup(
      {
        query: 'x',
        results: [
          {
            vendor: 'idmelon',
            label: 'IDmelon',
            kind: 'found',
            requests: 1,
            profile: {
              user: { vendor: 'idmelon', id: 'u1', email: '<!here> evil.example', name: ZWJ_ADMIN },
              keys: [],
              passkeys: [],
              groups: [],
            },
          },
        ],
      },
      NOW,
    );
    expect(lookup.text).not.toContain('<!here>');
    expect(lookup.text).not.toMatch(LINKABLE);
    expect(JSON.stringify(lookup.blocks)).not.toMatch(bidiOrInvisible);
  });
});
