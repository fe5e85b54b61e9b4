import { describe, expect, it } from 'vitest';
import { formatLookupReport, formatStaleReport } from '../../src/cli/format.js';
import { blocksToText } from '../../src/cli/try-slack.js';
import { digestText } from '../../src/features/digest/blocks.js';
import type { DigestReport } from '../../src/services/digest.js';
import type { LookupReport } from '../../src/services/lookup.js';
import type { StaleReport } from '../../src/services/stale.js';
import { lastFullDays } from '../../src/util/zoned.js';
import { bidiOrInvisible } from '../helpers/hostile-text.js';
import { NOW } from '../helpers/idmelon.js';

const CLEAR_AND_RETITLE = '\u001b[2J\u001b]0;pwned\u0007evil';
const C1_CSI = '\u009b31mred';
const RLO = 'invoice\u202egnp.exe';
/** ESC, BEL, every other C0 control but the newline, DEL and C1. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function expectTerminalSafe(out: string): void {
  expect(out).not.toMatch(TERMINAL_CONTROL);
  expect(out).not.toMatch(bidiOrInvisible);
}

describe('terminal output of vendor strings', () => {
  it('prints a stale table without the escape sequences in key names, owners, types and notes', () => {
    const key = (name: string) => ({
      vendor: 'idmelon' as const,
      id: 'k1',
      name,
      type: C1_CSI,
      owner: { email: RLO },
      lastUsedAt: null,
      uses: 0,
      status: 'active',
    });
    const report: StaleReport = {
      days: 90,
      cutoff: NOW.toISOString(),
      generatedAt: NOW.toISOString(),
      totals: { stale: 0, neverUsed: 2 },
      sections: [
        {
          vendor: 'idmelon',
          label: 'IDmelon',
          tracksUse: true,
          stale: [],
          neverUsed: [key(CLEAR_AND_RETITLE), key(C1_CSI)],
          byType: { [C1_CSI]: { stale: 0, neverUsed: 2 } },
          oldest: null,
          requests: 1,
          scan: 'sorted',
          note: CLEAR_AND_RETITLE,
          meaning: C1_CSI,
        },
      ],
    };
    const out = formatStaleReport(report);
    expectTerminalSafe(out);
    expect(out).toMatch(/^evil +invoice\uFFFDgnp\.exe +red /m);
  });

  it('prints a user lookup and a failed vendor without escape sequences', () => {
    const report: LookupReport = {
      query: CLEAR_AND_RETITLE,
      results: [
        {
          vendor: 'trymellon',
          label: 'TryMellon',
          kind: 'failed',
          requests: 1,
          failure: { message: `bad ${C1_CSI}` },
        },
        {
          vendor: 'idmelon',
          label: 'IDmelon',
          kind: 'found',
          requests: 1,
          profile: {
            user: { vendor: 'idmelon', id: C1_CSI, email: RLO, name: CLEAR_AND_RETITLE, status: C1_CSI },
            keys: [],
            passkeys: [{ id: 'p', name: C1_CSI, relyingParty: CLEAR_AND_RETITLE, lastUsedAt: null }],
            groups: [{ id: 'g', name: RLO }],
            events: [{ event: CLEAR_AND_RETITLE, at: NOW.toISOString() }],
          },
        },
      ],
    };
    const out = formatLookupReport(report, NOW);
    expectTerminalSafe(out);
    expect(out).toContain('TryMellon: lookup failed: bad red');
    expect(out).toContain('IDmelon: evil <invoice\uFFFDgnp.exe>  id red');
  });

  it('prints the digest in plain text: vendor text cleaned, no Slack look-alikes or markup', () => {
    const week = lastFullDays(NOW.getTime(), 'UTC');
    const report: DigestReport = {
      generatedAt: NOW.toISOString(),
      timeZone: 'UTC',
      week,
      previousWeek: lastFullDays(NOW.getTime(), 'UTC', 7, 1),
      sections: [
        {
          vendor: 'idmelon',
          label: 'IDmelon',
          requests: 2,
          data: {},
          parts: [
            {
              title: 'Sign-ins',
              figures: [{ label: CLEAR_AND_RETITLE, value: 3 }],
              lines: [`Busiest: ${C1_CSI} at login.example`],
              warnings: [`Admin API key “${RLO}” expires`],
            },
            { title: 'Groups', unavailable: `IDmelon answered 400: ${CLEAR_AND_RETITLE}` },
          ],
        },
      ],
    };
    const out = digestText(report);
    expectTerminalSafe(out);
    expect(out).toContain('  Sign-ins: 3 evil');
    expect(out).toContain('    Busiest: red at login.example');
    expect(out).toContain('    warning: Admin API key “invoice\uFFFDgnp.exe” expires');
    expect(out).toContain('  Groups: unavailable. IDmelon answered 400: evil');
  });

  it('prints Slack blocks for `keywarden slack` without controls, even ones that bypassed the Slack renderer', () => {
    const out = blocksToText([
      { type: 'header', text: { type: 'plain_text', text: `== ${C1_CSI}` } },
      { type: 'section', text: { type: 'mrkdwn', text: `${CLEAR_AND_RETITLE}\n  &lt;b&gt;` } },
    ]);
    expectTerminalSafe(out);
    expect(out).toBe('== == red\nevil\n  <b>');
  });
});
