import { MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Logger } from '../domain/logger.js';
import type { Dimensions, DurationName, MetricName, Metrics } from '../domain/metrics.js';

export interface EmfMetricsOptions {
  /** CloudWatch namespace. @default Keywarden */
  namespace?: string;
  /** The `service` dimension every metric carries: the Lambda function's name. */
  service: string;
  /** Where Powertools' own warnings go (a dimension it refused, a publish that failed). */
  logger: Logger;
}

/** Values of one metric in one EMF line; Powertools publishes on its own at 100, mid-way through a line. */
const VALUES_PER_LINE = 50;

interface Series {
  dimensions: Dimensions;
  counts: Map<MetricName, number>;
  durations: Map<DurationName, number[]>;
}

/**
 * Metrics as CloudWatch Embedded Metric Format, through Powertools Metrics: JSON lines on stdout that CloudWatch Logs
 * turns into metrics, so no `cloudwatch:PutMetricData` permission (and no API call) is needed. Counts are summed in
 * memory and `publish` writes them once, at the end of the invocation: one line per set of dimensions.
 */
export class EmfMetrics implements Metrics {
  private readonly series = new Map<string, Series>();
  private powertools?: PowertoolsMetrics;

  constructor(private readonly options: EmfMetricsOptions) {}

  count(name: MetricName, dimensions: Dimensions = {}, value = 1): void {
    // NaN or Infinity would make the whole line one CloudWatch rejects.
    if (!Number.isFinite(value)) return;
    const s = this.seriesFor(dimensions);
    s.counts.set(name, (s.counts.get(name) ?? 0) + value);
  }

  duration(name: DurationName, ms: number, dimensions: Dimensions = {}): void {
    if (!Number.isFinite(ms)) return;
    const s = this.seriesFor(dimensions);
    s.durations.set(name, [...(s.durations.get(name) ?? []), Math.max(0, ms)]);
  }

  /**
   * Writes what was stored since the last publish, and forgets it. Nothing stored: nothing written. Never throws: a
   * metric is not worth failing an invocation for, so a line that cannot be written is dropped and logged.
   */
  publish(): void {
    if (this.series.size === 0) return;
    const all = [...this.series.values()];
    this.series.clear();
    for (const s of all) {
      let emf: PowertoolsMetrics | undefined;
      try {
        emf = this.emitter();
        for (const line of lines(s)) {
          for (const [k, v] of Object.entries(s.dimensions)) emf.addDimension(k, v);
          for (const [name, value] of line.counts) emf.addMetric(name, MetricUnit.Count, value);
          for (const [name, values] of line.durations)
            for (const v of values) emf.addMetric(name, MetricUnit.Milliseconds, v);
          emf.publishStoredMetrics();
        }
      } catch (err) {
        emf?.clearMetrics();
        emf?.clearDimensions();
        this.options.logger.warn('could not publish metrics', { dimensions: s.dimensions, err });
      }
    }
  }

  private seriesFor(dimensions: Dimensions): Series {
    const names = Object.keys(dimensions).sort();
    const key = JSON.stringify(names.map((n) => [n, dimensions[n]]));
    let s = this.series.get(key);
    if (!s) {
      s = { dimensions: { ...dimensions }, counts: new Map(), durations: new Map() };
      this.series.set(key, s);
    }
    return s;
  }

  /** Built on first publish, so the environment Powertools reads is the one the function runs with. */
  private emitter(): PowertoolsMetrics {
    if (!this.powertools) {
      const { logger } = this.options;
      const say = (level: 'debug' | 'info' | 'warn' | 'error') => (message: unknown) =>
        logger[level](`metrics: ${String(message)}`);
      this.powertools = new PowertoolsMetrics({
        namespace: this.options.namespace ?? 'Keywarden',
        serviceName: this.options.service,
        logger: { debug: say('debug'), info: say('info'), warn: say('warn'), error: say('error') },
      });
    }
    return this.powertools;
  }
}

/** A series' values, split so that no metric has more than VALUES_PER_LINE values in one line. */
function lines(s: Series): Array<Pick<Series, 'counts' | 'durations'>> {
  const out: Array<Pick<Series, 'counts' | 'durations'>> = [{ counts: s.counts, durations: new Map() }];
  for (const [name, values] of s.durations) {
    for (let i = 0; i < values.length; i += VALUES_PER_LINE) {
      const index = i / VALUES_PER_LINE;
      const line = out[index] ?? { counts: new Map(), durations: new Map() };
      out[index] = line;
      line.durations.set(name, values.slice(i, i + VALUES_PER_LINE));
    }
  }
  return out.filter((l) => l.counts.size > 0 || l.durations.size > 0);
}
