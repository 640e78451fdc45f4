/**
 * Usage per day and space, counted in memory on the hot path and flushed to `usage_metrics` in
 * batches (through `record_usage()`), so a request never writes to the database.
 */
import type pg from 'pg';
import { BatchedCounters } from '../core/batched-counters.ts';
import type { PendingCounts } from '../core/pending-counts.ts';

export interface UsageScope {
  organizationId: string;
  tenantId: string;
  spaceId: string;
}

export interface UsageCounts {
  request_count: number;
  bandwidth_bytes: number;
  transform_count: number;
  transform_cpu_ms: number;
  cache_hit_count: number;
  upload_count: number;
  upload_bytes: number;
}

type UsageKey = UsageScope & { day: string };

const DAY_MS = 86_400_000;

const zero = (): UsageCounts => ({
  request_count: 0,
  bandwidth_bytes: 0,
  transform_count: 0,
  transform_cpu_ms: 0,
  cache_hit_count: 0,
  upload_count: 0,
  upload_bytes: 0,
});

export class UsageRecorder {
  private readonly counters: BatchedCounters<UsageKey, UsageCounts>;

  private readonly now: () => Date;

  constructor(pool: pg.Pool, flushIntervalMs: number, options: { now?: () => Date; pending?: PendingCounts } = {}) {
    this.now = options.now ?? (() => new Date());
    this.counters = new BatchedCounters(
      async (rows) => {
        const payload = rows.map(({ key, counts }) => ({
          day: key.day,
          organization_id: key.organizationId,
          tenant_id: key.tenantId,
          space_id: key.spaceId,
          ...counts,
        }));
        await pool.query('select imgplane.record_usage($1::jsonb)', [JSON.stringify(payload)]);
      },
      zero,
      flushIntervalMs,
      () => options.pending?.fold(),
    );
  }

  /** The UTC day of the last record and when it ends: formatting a date on every record costs. */
  private day = { name: '', startsAt: 0, endsAt: 0 };

  record(scope: UsageScope, counts: Partial<UsageCounts>): void {
    const day = this.dayOf(this.now().getTime());
    const key = { day, organizationId: scope.organizationId, tenantId: scope.tenantId, spaceId: scope.spaceId };
    this.counters.add(`${day}|${scope.organizationId}|${scope.tenantId}|${scope.spaceId}`, key, counts);
  }

  private dayOf(ms: number): string {
    if (ms < this.day.startsAt || ms >= this.day.endsAt) {
      const startsAt = ms - (ms % DAY_MS);
      this.day = { name: new Date(startsAt).toISOString().slice(0, 10), startsAt, endsAt: startsAt + DAY_MS };
    }
    return this.day.name;
  }

  flush(): Promise<void> {
    return this.counters.flush();
  }

  close(): Promise<void> {
    return this.counters.close();
  }
}
