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
