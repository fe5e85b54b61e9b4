import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EmfMetrics } from '../../src/aws/emf-metrics.js';
import { jsonLogger } from '../../src/log.js';

// biome-ignore lint/suspicious/noExplicitAny: an EMF line is arbitrary JSON
type Emf = any;

/**
 * The EMF lines Powertools writes, caught as its documentation advises for tests: with POWERTOOLS_DEV set it writes
 * through the global console (and would stay silent, unless POWERTOOLS_METRICS_DISABLED says otherwise).
 */
describe('EmfMetrics (Powertools, Embedded Metric Format)', () => {
  let lines: Emf[];
  let warnings: string[];
  const metrics = () =>
    new EmfMetrics({
      service: 'keywarden-test-worker',
      logger: jsonLogger({ level: 'warn', write: (l) => warnings.push(l) }),
    });

  beforeEach(() => {
    vi.stubEnv('POWERTOOLS_DEV', 'true');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    lines = [];
    warnings = [];
    vi.spyOn(console, 'log').mockImplementation((text: string) => {
      lines.push(JSON.parse(text));
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('writes a line with _aws.CloudWatchMetrics: the namespace, the metric and its dimensions', () => {
    const m = metrics();
    m.count('Commands', { kind: 'keys.stale' });
    m.publish();
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'Keywarden',
        Dimensions: [['service', 'kind']],
        Metrics: [{ Name: 'Commands', Unit: 'Count' }],
      },
    ]);
    expect(typeof line._aws.Timestamp).toBe('number');
    expect(line).toMatchObject({ service: 'keywarden-test-worker', kind: 'keys.stale', Commands: 1 });
  });

  it('sums counts, keeps each duration, and writes one line per set of dimensions', () => {
    const m = metrics();
    m.count('VendorRequests', { vendor: 'idmelon' });
    m.count('VendorRequests', { vendor: 'idmelon' });
    m.count('VendorRateLimited', { vendor: 'idmelon' });
    m.count('VendorRequests', { vendor: 'solvimon' }, 3);
    m.count('Jobs', { outcome: 'answered', kind: 'keys.stale' });
    m.duration('JobDuration', 120, { kind: 'keys.stale' });
    m.duration('JobDuration', 80, { kind: 'keys.stale' });
    m.count('PolicyRuns');
    m.publish();
    const by = (pick: (l: Emf) => boolean) => lines.filter(pick);
    expect(lines).toHaveLength(5);
    expect(by((l) => l.vendor === 'idmelon')).toMatchObject([{ VendorRequests: 2, VendorRateLimited: 1 }]);
    expect(by((l) => l.vendor === 'solvimon')).toMatchObject([{ VendorRequests: 3 }]);
    const [jobs] = by((l) => l.Jobs !== undefined);
    expect(jobs._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'outcome', 'kind']]);
    const [timed] = by((l) => l.JobDuration !== undefined);
    expect(timed.JobDuration).toEqual([120, 80]);
    expect(timed._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'JobDuration', Unit: 'Milliseconds' }]);
    const [plain] = by((l) => l.PolicyRuns !== undefined);
    expect(plain._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service']]);
  });

  it('writes nothing, and warns of nothing, when no metric was stored; and forgets what it published', () => {
    const m = metrics();
    m.publish();
    expect(lines).toEqual([]);
    m.count('DigestRuns', { outcome: 'posted' });
    m.publish();
    m.publish();
    expect(lines).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it('splits a metric with many values over several lines, each with its dimensions', () => {
    const m = metrics();
    for (let i = 0; i < 120; i++) m.duration('JobDuration', i, { kind: 'user.lookup' });
    m.publish();
    expect(lines.map((l) => l.JobDuration.length)).toEqual([50, 50, 20]);
    for (const l of lines) expect(l.kind).toBe('user.lookup');
  });

  it('ignores a value that is not a finite number', () => {
    const m = metrics();
    m.count('KeysRevoked', { vendor: 'idmelon' }, Number.NaN);
    m.duration('JobDuration', Number.POSITIVE_INFINITY, { kind: 'keys.stale' });
    m.count('KeysRevoked', { vendor: 'idmelon' }, 2);
    m.publish();
    expect(lines).toHaveLength(1);
    expect(lines[0].KeysRevoked).toBe(2);
  });

  it('drops a line Powertools refuses, says so, writes the others, and never throws', () => {
    const m = metrics();
    // A dimension named like the metric: Powertools refuses to serialise the line.
    m.count('Commands', { Commands: 'keys.stale' });
    m.count('RevocationsRequested');
    expect(() => m.publish()).not.toThrow();
    expect(lines).toHaveLength(1);
    expect(lines[0].RevocationsRequested).toBe(1);
    expect(warnings.join('\n')).toContain('could not publish metrics');
    // What was refused is not carried into the next line.
    m.count('PolicyRuns');
    m.publish();
    expect(lines[1]).not.toHaveProperty('Commands');
    expect(lines[1]._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service']]);
  });
});
