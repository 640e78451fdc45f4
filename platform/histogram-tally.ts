/**
 * Observations of one histogram series kept as a count and a sum per bucket, and added to the
 * prom-client histogram later (`foldInto`, at a flush or scrape): a hot path then pays a bucket
 * search and two additions per observation instead of prom-client's label validation, label
 * hashing and series lookup, and the fold costs one step per bucket, however many observations.
 */
import type { Histogram } from 'prom-client';

/**
 * One series as prom-client 15 (pinned) keeps it. It has no bulk observe, so a fold observes one
 * value through the public API, which creates the series, then adds the rest to that record.
 * platform/histogram-tally.test.ts compares the result with observing every value, so an upgrade
 * that changes this record fails there.
 */
interface SeriesRecord {
  labels: Record<string, string | number>;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

export class HistogramTally {
  #counts: number[];
  #sums: number[];

  /** `bounds`: the histogram's bucket upper bounds, ascending (past the last one is +Inf). */
  constructor(private readonly bounds: readonly number[]) {
    this.#counts = new Array<number>(bounds.length + 1).fill(0);
    this.#sums = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let bucket = 0;
    // Prometheus buckets are `le`: a value equal to a bound belongs to that bound's bucket.
    while (bucket < this.bounds.length && value > this.bounds[bucket]!) bucket++;
    this.#counts[bucket]!++;
    this.#sums[bucket]! += value;
  }

  foldInto<Label extends string>(histogram: Histogram<Label>, labels: Record<Label, string>): void {
    for (let bucket = 0; bucket < this.#counts.length; bucket++) {
      const count = this.#counts[bucket]!;
      if (count === 0) continue;
      const sum = this.#sums[bucket]!;
      this.#counts[bucket] = 0;
      this.#sums[bucket] = 0;
      // The first observation at the bucket's mean (inside the bucket) goes through observe()...
      const mean = sum / count;
      histogram.observe(labels, mean);
      if (count === 1) continue;
      // ...and the others are added to the series it landed in.
      const series = seriesOf(histogram, labels);
      series.count += count - 1;
      series.sum += sum - mean;
      const bound = this.bounds[bucket];
      // Past the last bound is +Inf, which prom-client derives from the count.
      if (bound !== undefined) series.bucketValues[bound]! += count - 1;
    }
  }
}

function seriesOf(histogram: Histogram<string>, labels: Record<string, string>): SeriesRecord {
  const records = Object.values((histogram as unknown as { hashMap: Record<string, SeriesRecord> }).hashMap);
  const names = Object.keys(labels);
  const series = records.find((record) => names.every((name) => String(record.labels[name]) === labels[name]) && Object.keys(record.labels).length === names.length);
  if (!series) throw new Error(`no series ${JSON.stringify(labels)} after observing it`);
  return series;
}
