/**
 * Prometheus metrics of one process, served at GET /metrics. Counters and histograms are updated
 * where the events happen; gauges of state that already lives elsewhere (limiter queue, caches,
 * pools, outbox) are read at scrape time through `observeState`, so no hot path pays for them.
 * deploy/monitoring/ (alerts, dashboard) names these metrics; test/monitoring/ checks it.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PendingCounts } from '../core/pending-counts.ts';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  transforms: Counter<'format'>;
  transformDuration: Histogram<'format'>;
  /** Transform processes killed at their request's deadline (the work stopped with the 503). */
  transformsKilled: Counter;
  /** Transforms refused before any pixel work by max_output_pixels or max_transform_cost. */
  budgetRefusals: Counter<'limit'>;
  deliveries: Counter<'cache'>;
  uploads: Counter<'outcome'>;
  /** 503 (overloaded, a dependency down) and 429 (rate limit, quota) answers. */
  throttled: Counter<'status' | 'route'>;
  /** Requests refused by a rate limit or quota (platform/limits/), by which one. */
  limitRefusals: Counter<'limit'>;
  storageDuration: Histogram<'backend' | 'operation' | 'outcome'>;
  outboxEvents: Counter<'outcome'>;
  workerJobs: Counter<'task' | 'outcome'>;
}

/** The buckets of imgplane_http_request_duration_seconds, in seconds. */
export const HTTP_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** `pending`: counts a hot path still holds (core/pending-counts.ts), brought in at each scrape. */
export function createMetrics(pending?: PendingCounts): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'imgplane_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [...HTTP_DURATION_BUCKETS],
      registers: [registry],
      // Scraped before imgplane_deliveries_total: brings pending counts into both.
      collect: () => pending?.fold(),
    }),
    transforms: new Counter({
      name: 'imgplane_transforms_total',
      help: 'Sharp transforms run by this process (cache misses that produced a variant)',
      labelNames: ['format'],
      registers: [registry],
    }),
    transformDuration: new Histogram({
      name: 'imgplane_transform_duration_seconds',
      help: 'Wall time of one transform, from original bytes to encoded variant',
      labelNames: ['format'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers: [registry],
    }),
    transformsKilled: new Counter({
      name: 'imgplane_transforms_killed_total',
      help: 'Transform processes killed because their request reached its deadline (transform_timeout_ms from arrival)',
      registers: [registry],
    }),
    budgetRefusals: new Counter({
      name: 'imgplane_transform_budget_refusals_total',
      help: 'Transforms refused before any pixel work, by the limit they were over (max_output_pixels, max_transform_cost)',
      labelNames: ['limit'],
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'imgplane_deliveries_total',
      help: 'Image responses by the cache layer that answered (hit-memory, hit-redis, hit-storage, miss)',
      labelNames: ['cache'],
      registers: [registry],
      collect: () => pending?.fold(), // when read on its own (`deliveries.get()`)
    }),
    uploads: new Counter({
      name: 'imgplane_uploads_total',
      help: 'Upload attempts by outcome (created, deduplicated, rejected)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    throttled: new Counter({
      name: 'imgplane_http_throttled_total',
      help: 'Responses 503 (overloaded or a dependency unavailable) and 429 (rate limit or quota), by route',
      labelNames: ['status', 'route'],
      registers: [registry],
    }),
    limitRefusals: new Counter({
      name: 'imgplane_limit_refusals_total',
      help: 'Requests refused by a rate limit (rate_anonymous, rate_api_key, rate_organization) or a quota (quota_storage_bytes, quota_assets, quota_variants_per_day, quota_transform_cpu_seconds_per_day)',
      labelNames: ['limit'],
      registers: [registry],
    }),
    storageDuration: new Histogram({
      name: 'imgplane_storage_operation_duration_seconds',
      help: 'Object storage calls by backend (local, s3, minio), operation and outcome (ok, not_found, error)',
      labelNames: ['backend', 'operation', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    outboxEvents: new Counter({
      name: 'imgplane_outbox_events_total',
      help: 'Outbox events handed to their consumers, by outcome (delivered; failed: retried later)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    workerJobs: new Counter({
      name: 'imgplane_worker_jobs_total',
      help: 'graphile-worker job runs by task and outcome (success; error: an attempt threw; failed: it was the last attempt)',
      labelNames: ['task', 'outcome'],
      registers: [registry],
    }),
  };
}

/** Where the scrape-time gauges read from; each is optional (a worker process has no limiter). */
export interface ObservedState {
  transforms?: () => { active: number; queued: number };
  /** Cache layer name → its current size. */
  caches?: Record<string, () => Promise<CacheSize | undefined> | CacheSize | undefined>;
  /** Pool name → the pg.Pool counters. */
  pools?: Record<string, PoolCounts>;
  /** Age of the oldest undelivered outbox event, and how many are pending. */
  outbox?: () => Promise<{ lagSeconds: number; pending: number }>;
}

export interface CacheSize {
  entries: number;
  bytes: number;
}

/** The part of pg.Pool the pool gauges read. */
export interface PoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

export function observeState(metrics: Metrics, state: ObservedState): void {
  const registers = [metrics.registry];
  const { transforms, caches, pools, outbox } = state;
  if (transforms) {
    new Gauge({
      name: 'imgplane_transforms_in_flight',
      help: 'Transforms running now (bounded by MAX_CONCURRENT_TRANSFORMS)',
      registers,
      collect() {
        this.set(transforms().active);
      },
    });
    new Gauge({
      name: 'imgplane_transforms_queued',
      help: 'Transforms waiting for a slot (beyond MAX_QUEUED_TRANSFORMS a miss answers 503)',
      registers,
      collect() {
        this.set(transforms().queued);
      },
    });
  }
  if (caches) {
    // A layer that cannot say (Redis down) is left out of this scrape rather than failing it.
    const sizes = async () =>
      Promise.all(
        Object.entries(caches).map(async ([layer, read]) => [layer, await Promise.resolve(read()).catch(() => undefined)] as const),
      );
    new Gauge({
      name: 'imgplane_cache_entries',
      help: 'Entries held by each cache layer (memory: variants, originals: source images, redis: keys of its database)',
      labelNames: ['layer'],
      registers,
      async collect() {
        for (const [layer, size] of await sizes()) if (size) this.set({ layer }, size.entries);
      },
    });
    new Gauge({
      name: 'imgplane_cache_bytes',
      help: 'Bytes held by each cache layer (redis: used_memory of the whole server)',
      labelNames: ['layer'],
      registers,
      async collect() {
        for (const [layer, size] of await sizes()) if (size) this.set({ layer }, size.bytes);
      },
    });
  }
  if (pools) {
    new Gauge({
      name: 'imgplane_db_pool_clients',
      help: 'PostgreSQL pool clients by pool and state (total, idle, waiting: callers queued for a connection)',
      labelNames: ['pool', 'state'],
      registers,
      collect() {
        for (const [pool, counts] of Object.entries(pools)) {
          this.set({ pool, state: 'total' }, counts.totalCount);
          this.set({ pool, state: 'idle' }, counts.idleCount);
          this.set({ pool, state: 'waiting' }, counts.waitingCount);
        }
      },
    });
  }
  if (outbox) {
    let latest: Promise<{ lagSeconds: number; pending: number } | undefined> | undefined;
    // Both gauges come from one query per scrape; a database that does not answer leaves them as they were.
    const read = () =>
      (latest ??= outbox()
        .catch(() => undefined)
        .finally(() => setImmediate(() => (latest = undefined))));
    new Gauge({
      name: 'imgplane_outbox_lag_seconds',
      help: 'Age of the oldest outbox event not yet delivered (0: none waiting)',
      registers,
      async collect() {
        const outboxState = await read();
        if (outboxState) this.set(outboxState.lagSeconds);
      },
    });
    new Gauge({
      name: 'imgplane_outbox_pending_events',
      help: 'Outbox events not yet delivered (due now or waiting for a retry)',
      registers,
      async collect() {
        const outboxState = await read();
        if (outboxState) this.set(outboxState.pending);
      },
    });
  }
}
