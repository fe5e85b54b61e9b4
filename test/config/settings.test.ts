import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';

describe('work limits settings', () => {
  it('default to 3 jobs per person and 20 in all', () => {
    expect(loadSettings({})).toMatchObject({ maxJobsPerUser: 3, maxJobs: 20 });
    expect(loadSettings({ KEYWARDEN_MAX_JOBS_PER_USER: '', KEYWARDEN_MAX_JOBS: ' ' })).toMatchObject({
      maxJobsPerUser: 3,
      maxJobs: 20,
    });
  });

  it('read KEYWARDEN_MAX_JOBS_PER_USER and KEYWARDEN_MAX_JOBS', () => {
    expect(loadSettings({ KEYWARDEN_MAX_JOBS_PER_USER: '5', KEYWARDEN_MAX_JOBS: '50' })).toMatchObject({
      maxJobsPerUser: 5,
      maxJobs: 50,
    });
  });

  it('keep the per-person default within a smaller global cap', () => {
    expect(loadSettings({ KEYWARDEN_MAX_JOBS: '2' })).toMatchObject({ maxJobsPerUser: 2, maxJobs: 2 });
  });

  it.each([
    [{ KEYWARDEN_MAX_JOBS_PER_USER: '0' }, 'KEYWARDEN_MAX_JOBS_PER_USER must be from 1 to 100'],
    [{ KEYWARDEN_MAX_JOBS_PER_USER: 'three' }, 'KEYWARDEN_MAX_JOBS_PER_USER must be a whole number'],
    [{ KEYWARDEN_MAX_JOBS: '1001' }, 'KEYWARDEN_MAX_JOBS must be from 1 to 1000'],
    [
      { KEYWARDEN_MAX_JOBS_PER_USER: '10', KEYWARDEN_MAX_JOBS: '5' },
      'KEYWARDEN_MAX_JOBS_PER_USER (10) must not exceed KEYWARDEN_MAX_JOBS (5)',
    ],
  ])('refuse %o', (env, message) => {
    expect(() => loadSettings(env)).toThrow(message);
  });
});

describe('KEYWARDEN_INVENTORY_MAX_AGE', () => {
  it('is an hour unless set', () => {
    expect(loadSettings({}).inventoryMaxAgeMs).toBe(3_600_000);
    expect(loadSettings({ KEYWARDEN_INVENTORY_MAX_AGE: ' ' }).inventoryMaxAgeMs).toBe(3_600_000);
  });

  it.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['2H', 7_200_000],
    ['600', 600_000],
    ['0', 0],
  ])('reads %s as %i ms', (value, ms) => {
    expect(loadSettings({ KEYWARDEN_INVENTORY_MAX_AGE: value }).inventoryMaxAgeMs).toBe(ms);
  });

  it.each(['1.5h', '-1h', 'an hour', '1w', '1h30m'])('refuses %s in one sentence that names it', (value) => {
    expect(() => loadSettings({ KEYWARDEN_INVENTORY_MAX_AGE: value })).toThrow(
      'KEYWARDEN_INVENTORY_MAX_AGE must be a duration such as 90s, 30m, 1h or 2d (a plain number is seconds)',
    );
  });

  it('refuses more than 30 days', () => {
    expect(() => loadSettings({ KEYWARDEN_INVENTORY_MAX_AGE: '31d' })).toThrow(
      'KEYWARDEN_INVENTORY_MAX_AGE must be at most 30 days',
    );
  });
});
