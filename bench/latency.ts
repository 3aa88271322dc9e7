export interface Summary {
  name: string;
  count: number;
  seconds: number;
  per_second: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
}

/** Nearest-rank percentile of an ascending list: always one of the measured values, never an interpolation. */
export function percentile(sortedMs: readonly number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sortedMs.length);
  return sortedMs[Math.min(Math.max(rank, 1), sortedMs.length) - 1] as number;
}

export function summarize(name: string, latenciesMs: readonly number[], seconds: number): Summary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    name,
    count: sorted.length,
    seconds: round(seconds, 3),
    per_second: round(sorted.length / seconds, 1),
    p50_ms: round(percentile(sorted, 50), 2),
    p95_ms: round(percentile(sorted, 95), 2),
    p99_ms: round(percentile(sorted, 99), 2),
  };
}

/** How a scenario compares to its baseline: above 1 means more throughput or slower latency than the baseline. */
export function compare(scenario: Summary, baseline: Summary) {
  return {
    baseline: baseline.name,
    per_second_ratio: round(scenario.per_second / baseline.per_second, 2),
    p50_ratio: round(scenario.p50_ms / baseline.p50_ms, 2),
    p99_ratio: round(scenario.p99_ms / baseline.p99_ms, 2),
  };
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
