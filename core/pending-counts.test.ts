import { describe, expect, it } from 'vitest';
import { BatchedCounters } from './batched-counters.ts';
import { PendingCounts } from './pending-counts.ts';

describe('PendingCounts', () => {
  it('brings what a hot path holds into batched counters before each flush, until unregistered', async () => {
    const written: number[] = [];
    const pending = new PendingCounts();
    const counters = new BatchedCounters<string, { hits: number }>(
      async (rows) => void written.push(...rows.map((row) => row.counts.hits)),
      () => ({ hits: 0 }),
      3_600_000,
      () => pending.fold(),
    );
    let held = 0;
    const unregister = pending.register(() => {
      if (held > 0) counters.add('a', 'a', { hits: held });
      held = 0;
    });
    held = 3;
    await counters.flush();
    expect(written).toEqual([3]);
    await counters.flush();
    expect(written).toEqual([3]);
    unregister();
    held = 2;
    await counters.close();
    expect(written).toEqual([3]);
  });
});
