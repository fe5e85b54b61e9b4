import type { Dimensions, DurationName, MetricName, Metrics } from '../../src/domain/metrics.js';

export interface Recorded {
  name: MetricName | DurationName;
  dimensions: Dimensions;
  value: number;
}

/** Keeps every count and duration, in order, so a test can look for what a run emitted. */
export class RecordingMetrics implements Metrics {
  readonly recorded: Recorded[] = [];

  count(name: MetricName, dimensions: Dimensions = {}, value = 1): void {
    this.recorded.push({ name, dimensions: { ...dimensions }, value });
  }

  duration(name: DurationName, ms: number, dimensions: Dimensions = {}): void {
    this.recorded.push({ name, dimensions: { ...dimensions }, value: ms });
  }

  /** Everything recorded under `name` whose dimensions include `dimensions`. */
  find(name: MetricName | DurationName, dimensions: Dimensions = {}): Recorded[] {
    return this.recorded.filter(
      (r) => r.name === name && Object.entries(dimensions).every(([k, v]) => r.dimensions[k] === v),
    );
  }

  /** The sum of the values `find` returns. */
  total(name: MetricName | DurationName, dimensions: Dimensions = {}): number {
    return this.find(name, dimensions).reduce((n, r) => n + r.value, 0);
  }

  clear(): void {
    this.recorded.length = 0;
  }
}
