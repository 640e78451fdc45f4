/**
 * Observations of one histogram series kept as a count and a sum per bucket, and handed to the
 * prom-client histogram later (`foldInto`, at a scrape): a hot path then pays a bucket search and
 * two additions per observation instead of prom-client's label validation, label hashing and
 * series lookup. Each bucket's observations are replayed at their mean, which keeps the histogram
 * exact: every observation lands in the bucket it was made in, and count and sum are unchanged.
 */
import type { Histogram } from 'prom-client';

export class HistogramTally {
  #counts: number[];
  #sums: number[];

  /** `bounds`: the histogram's bucket upper bounds, ascending (the last bucket is +Inf). */
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

  foldInto<Label extends string>(histogram: Histogram<Label>, labels: Partial<Record<Label, string>>): void {
    for (let bucket = 0; bucket < this.#counts.length; bucket++) {
      const count = this.#counts[bucket]!;
      if (count === 0) continue;
      const mean = this.#sums[bucket]! / count;
      for (let n = 0; n < count; n++) histogram.observe(labels, mean);
      this.#counts[bucket] = 0;
      this.#sums[bucket] = 0;
    }
  }
}
