import { describe, expect, it } from 'vitest';
import { AccessPolicy } from '../../src/auth/access.js';
import { jsonLogger } from '../../src/log.js';

const logger = jsonLogger({ level: 'debug' });

describe('access policy', () => {
  function policy(members: Record<string, string[]> | Error, now = () => 0) {
    let calls = 0;
    const p = new AccessPolicy(
      {
        userGroupMembers: async (g) => {
          calls++;
          if (members instanceof Error) throw members;
          return members[g] ?? [];
        },
      },
      logger,
      { ttlMs: 1000, clock: { now: () => new Date(now()) } },
    );
    return { p, calls: () => calls };
  }

  it('admits listed users without asking Slack', async () => {
    const { p, calls } = policy({});
    expect(await p.check('U1', { users: ['U1'], group: 'S1' }, 'admins')).toEqual({ allowed: true });
    expect(calls()).toBe(0);
  });

  it('admits members of the group and caches the member list for its TTL', async () => {
    let now = 0;
    const { p, calls } = policy({ S1: ['U2'] }, () => now);
    expect(await p.check('U2', { users: [], group: 'S1' }, 'admins')).toEqual({ allowed: true });
    expect(await p.check('U3', { users: [], group: 'S1' }, 'admins')).toMatchObject({ allowed: false });
    expect(calls()).toBe(1);
    now = 1001;
    await p.check('U2', { users: [], group: 'S1' }, 'admins');
    expect(calls()).toBe(2);
  });

  it('fails closed, with a reason, when Slack cannot be asked', async () => {
    const { p } = policy(new Error('ratelimited'));
    expect(await p.check('U2', { users: ['U1'], group: 'S1' }, 'approvers')).toEqual({
      allowed: false,
      reason: 'Keywarden could not check the approvers group in Slack just now; try again in a minute.',
    });
  });

  it('refuses everyone when nobody is configured, and says so', async () => {
    const { p } = policy({});
    expect(await p.check('U1', { users: [] }, 'admins')).toEqual({
      allowed: false,
      reason: 'No admins are configured yet.',
    });
  });
});
