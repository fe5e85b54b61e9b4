import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUserCommand } from '../../src/commands/grammar.js';
import { Deadline, newMeter } from '../../src/domain/deadline.js';
import { InvalidIdError, pathSegment } from '../../src/http/path.js';
import { jobSchema } from '../../src/jobs/job.js';
import { revokeKeyRefSchema } from '../../src/slack/payloads.js';
import { type IdmelonHarness, idmelonHarness } from '../helpers/idmelon.js';

describe('ids in vendor paths', () => {
  it('refuses ids that URL resolution would remove: empty, "." and ".."', () => {
    for (const bad of ['', '.', '..', '...']) expect(() => pathSegment(bad)).toThrow(InvalidIdError);
    expect(pathSegment('a/b')).toBe('a%2Fb');
    expect(pathSegment('..a')).toBe('..a');
  });

  describe('against the IDmelon sandbox', () => {
    let h: IdmelonHarness;
    beforeAll(async () => {
      h = await idmelonHarness({ users: 20, keys: 40, logs: 0 });
    });
    afterAll(async () => {
      await h.close();
    });

    it.each(['..', '.'])('sends no request for the user %j, and says the id is not valid', async (bad) => {
      h.sandbox.server.clearLog();
      const ctx = { deadline: Deadline.after(5_000), meter: newMeter() };
      await expect(h.provider.userProfile(bad, ctx)).rejects.toThrow(`"${bad}" is not a valid id.`);
      expect(h.sandbox.server.requests).toEqual([]);
    });

    it('sends no request for a key whose owner id is ".."', async () => {
      h.sandbox.server.clearLog();
      const ctx = { deadline: Deadline.after(5_000), meter: newMeter() };
      await expect(
        h.provider.currentKeys([{ vendor: 'idmelon', id: 'k1', ownerId: '..' }], {}, ctx),
      ).rejects.toThrow(InvalidIdError);
      expect(h.sandbox.server.requests).toEqual([]);
    });
  });

  it('refuses "/user lookup .." at the command grammar', () => {
    for (const text of ['lookup ..', 'lookup .', 'lookup . .'])
      expect(parseUserCommand(text)).toMatchObject({
        ok: false,
        problem: expect.stringContaining('is not an email'),
      });
  });

  it('refuses a key id of ".." in a button value and in a queued job', () => {
    expect(revokeKeyRefSchema.safeParse({ v: 'idmelon', id: '..' }).success).toBe(false);
    const job = {
      kind: 'revoke.request',
      id: 'job-12345678',
      origin: { user: 'U1', channel: 'C1', issuedAt: 1 },
      source: { kind: 'keys', refs: [{ vendor: 'trymellon', id: '..', ownerId: 'u1' }] },
    };
    expect(jobSchema.safeParse(job).success).toBe(false);
  });
});
