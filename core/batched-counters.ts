/**
 * Counters kept in memory on the hot path and written in batches, so a request never writes to
 * the database. A batch that fails to write is merged back and goes out with the next one.
 */
export interface CounterRow<Key, Counts> {
  key: Key;
  counts: Counts;
}

export class BatchedCounters<Key, Counts extends { [Name in keyof Counts]: number }> {
  private pending = new Map<string, CounterRow<Key, Counts>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly write: (rows: CounterRow<Key, Counts>[]) => Promise<void>,
    private readonly zero: () => Counts,
    flushIntervalMs: number,
    /** Brings in counts still kept elsewhere (core/pending-counts.ts) before each flush. */
    private readonly beforeFlush: () => void = () => {},
  ) {
    this.timer = setInterval(() => void this.flush().catch(() => {}), flushIntervalMs);
    this.timer.unref();
  }

  /** Adds `counts` to the row `id` (created from `key` on first use). */
  add(id: string, key: Key, counts: Partial<Counts>): void {
    let row = this.pending.get(id);
    if (!row) {
      row = { key, counts: this.zero() };
      this.pending.set(id, row);
    }
    // for-in rather than Object.entries: it runs on every delivery the image route counts, and allocates nothing.
    for (const name in counts) (row.counts[name] as number) += counts[name] as number;
  }

  async flush(): Promise<void> {
    this.beforeFlush();
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.write([...batch.values()]);
    } catch (error) {
      for (const [id, row] of batch) this.add(id, row.key, row.counts);
      throw error;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
