/** Reads Prometheus text exposition, as a scraper would, to compare series before and after something happens. */

/** The tests' METRICS_TOKEN: the API's /metrics wants it, a worker's ignores it. */
export const TEST_METRICS_TOKEN = 'test-metrics-token';

export async function scrape(url: string): Promise<string> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.text();
}

function labelsOf(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]));
}

/** The sum of the samples of `name` whose labels include `labels` (0 when there is none). */
export function sampleSum(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    const match = /^(\w+)(?:\{(.*)\})? ([^ ]+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = labelsOf(match[2] ?? '');
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) sum += Number(match[3]);
  }
  return sum;
}

/** Whether a series of `name` with exactly these label values (among others) is exposed. */
export function hasSeries(exposition: string, name: string, labels: Record<string, string> = {}): boolean {
  return exposition.split('\n').some((line) => {
    const match = /^(\w+)(?:\{(.*)\})? /.exec(line);
    if (!match || match[1] !== name) return false;
    const found = labelsOf(match[2] ?? '');
    return Object.entries(labels).every(([key, value]) => found[key] === value);
  });
}

/** Every sample of `name`, with its labels. */
export function samplesOf(exposition: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  return exposition.split('\n').flatMap((line) => {
    const match = /^(\w+)(?:\{(.*)\})? ([^ ]+)/.exec(line);
    if (!match || match[1] !== name) return [];
    return [{ labels: labelsOf(match[2] ?? ''), value: Number(match[3]) }];
  });
}
