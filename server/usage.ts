/**
 * Usage counted in memory on the hot path and flushed to `usage_metrics` in batches, so a request
 * never writes to the database. A flush that fails keeps its counts for the next attempt.
 */
import type pg from 'pg';

export interface UsageScope {
  organizationId: string;
  tenantId: string;
  spaceId: string;
}

export interface UsageCounts {
  request_count?: number;
  bandwidth_bytes?: number;
  transform_count?: number;
  transform_cpu_ms?: number;
  cache_hit_count?: number;
  upload_count?: number;
  upload_bytes?: number;
}

type Row = UsageScope & { day: string; counts: Required<UsageCounts> };

const ZERO: Required<UsageCounts> = {
  request_count: 0,
  bandwidth_bytes: 0,
  transform_count: 0,
  transform_cpu_ms: 0,
  cache_hit_count: 0,
  upload_count: 0,
  upload_bytes: 0,
};

export class UsageRecorder {
  private pending = new Map<string, Row>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pool: pg.Pool,
    flushIntervalMs: number,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.timer = setInterval(() => void this.flush().catch(() => {}), flushIntervalMs);
    this.timer.unref();
  }

  record(scope: UsageScope, counts: UsageCounts): void {
    this.add(this.now().toISOString().slice(0, 10), scope, counts);
  }

  private add(day: string, scope: UsageScope, counts: UsageCounts): void {
    const key = `${day}|${scope.organizationId}|${scope.tenantId}|${scope.spaceId}`;
    let row = this.pending.get(key);
    if (!row) {
      row = { organizationId: scope.organizationId, tenantId: scope.tenantId, spaceId: scope.spaceId, day, counts: { ...ZERO } };
      this.pending.set(key, row);
    }
    for (const [name, value] of Object.entries(counts) as [keyof UsageCounts, number][]) {
      row.counts[name] += value;
    }
  }

  /** Writes what has been counted so far; on failure the counts are merged back for the next flush. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const payload = [...batch.values()].map((row) => ({
      day: row.day,
      organization_id: row.organizationId,
      tenant_id: row.tenantId,
      space_id: row.spaceId,
      ...row.counts,
    }));
    try {
      await this.pool.query('select imgplane.record_usage($1::jsonb)', [JSON.stringify(payload)]);
    } catch (error) {
      for (const row of batch.values()) this.add(row.day, row, row.counts);
      throw error;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
