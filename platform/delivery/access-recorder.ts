/**
 * How often, and when last, each registered variant was served: the input of lifecycle tiering
 * and pruning (worker/tasks/variant-lifecycle.ts). Counted in memory on every delivery, memory
 * hits included, and written in batches by the worker role.
 */
import type pg from 'pg';
import { BatchedCounters } from '../../core/batched-counters.ts';
import type { PendingCounts } from '../../core/pending-counts.ts';

interface VariantRef {
  assetId: string;
  variantKey: string;
}

// Exported so bench/db/hot-queries.ts explains this very statement.
export const FLUSH_ACCESS = `
  with locked as (
    select d.id, u.hits
      from unnest($1::uuid[], $2::char(64)[], $3::bigint[]) as u (asset_id, variant_key, hits)
      join imgplane.derived_assets d on d.asset_id = u.asset_id and d.variant_key = u.variant_key
     order by d.id
       for no key update of d
  )
  update imgplane.derived_assets d
     set access_count = d.access_count + locked.hits, last_accessed_at = now()
    from locked
   where d.id = locked.id`;

export class VariantAccessRecorder {
  private readonly counters: BatchedCounters<VariantRef, { hits: number }>;

  constructor(workerPool: pg.Pool, flushIntervalMs: number, pending?: PendingCounts) {
    this.counters = new BatchedCounters(
      async (rows) => {
        // last_accessed_at is the flush time: a granularity of one flush interval is plenty for
        // tiering decisions measured in days. Rows are locked in id order, so concurrent flushers
        // (every server process has one) never deadlock; the keys are char(64) like the column,
        // so the lookup uses the (asset_id, variant_key) index; and no index covers the updated
        // columns, so the update is HOT (db/schema/20261201030001_batched_writers.sql).
        await workerPool.query(FLUSH_ACCESS, [
          rows.map((row) => row.key.assetId),
          rows.map((row) => row.key.variantKey),
          rows.map((row) => row.counts.hits),
        ]);
      },
      () => ({ hits: 0 }),
      flushIntervalMs,
      () => pending?.fold(),
    );
  }

  record(assetId: string, variantKey: string, hits = 1): void {
    this.counters.add(`${assetId}|${variantKey}`, { assetId, variantKey }, { hits });
  }

  flush(): Promise<void> {
    return this.counters.flush();
  }

  close(): Promise<void> {
    return this.counters.close();
  }
}
