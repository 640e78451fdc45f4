/**
 * The scrape-time gauges of a platform process: transform limiter, cache layers, database pools
 * and the outbox, read from the objects that already hold that state.
 */
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { MemoryVariantCache } from '../core/cache/memory.ts';
import type { TransformLimiter } from '../core/pipeline/limiter.ts';
import type { OriginalSource } from './delivery/originals.ts';
import { observeState, type CacheSize, type Metrics } from './metrics.ts';

export interface PlatformState {
  limiter: TransformLimiter;
  memory: MemoryVariantCache;
  originals: OriginalSource;
  redis: Redis | undefined;
  pool: pg.Pool;
  /** Runs as imgplane_worker, which may read the outbox. */
  workerPool: pg.Pool;
  /** graphile-worker's, as the migrating login. */
  queuePool: pg.Pool;
}

// One statement, answered from the partial index on undelivered events.
const OUTBOX_STATE = `
  select coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as lag_seconds, count(*)::int as pending
    from imgplane.events where delivered_at is null`;

export function observePlatformState(metrics: Metrics, state: PlatformState): void {
  const { redis, workerPool } = state;
  observeState(metrics, {
    transforms: () => state.limiter.stats(),
    caches: {
      memory: () => state.memory.stats(),
      originals: () => state.originals.stats(),
      ...(redis ? { redis: () => redisSize(redis) } : {}),
    },
    pools: { main: state.pool, worker: workerPool, queue: state.queuePool },
    outbox: async () => {
      const { rows } = await workerPool.query<{ lag_seconds: number; pending: number }>(OUTBOX_STATE);
      return { lagSeconds: rows[0]?.lag_seconds ?? 0, pending: rows[0]?.pending ?? 0 };
    },
  });
}

/** Keys of the Redis database and the server's used memory; nothing while Redis is not connected. */
async function redisSize(redis: Redis): Promise<CacheSize | undefined> {
  if (redis.status !== 'ready') return undefined;
  const [entries, info] = await Promise.all([redis.dbsize(), redis.info('memory')]);
  const bytes = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
  return Number.isFinite(bytes) ? { entries, bytes } : undefined;
}
