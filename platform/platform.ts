/**
 * Builds every long-lived dependency of a server process once, from the configuration: the pg
 * pool, storage, caches, locks, the transform limiter and the services on top of them. Redis is
 * optional: without REDIS_URL the process uses its in-process cache and lock only.
 */
import pg from 'pg';
import type { Redis } from 'ioredis';
import { MemoryVariantCache } from '../core/cache/memory.ts';
import { RedisVariantCache } from '../core/cache/redis.ts';
import type { SharedVariantCache } from '../core/cache/types.ts';
import type { AppConfig } from '../core/config.ts';
import { LocalKeyedLock } from '../core/lock/local.ts';
import { RedlockKeyedLock } from '../core/lock/redlock.ts';
import { SingleFlight } from '../core/lock/single-flight.ts';
import type { KeyedLock } from '../core/lock/types.ts';
import { configureSharp, createTransformLimiter } from '../core/pipeline/limiter.ts';
import { createRedisClient } from '../core/redis.ts';
import { createObjectStore } from '../core/storage/index.ts';
import type { ObjectStore } from '../core/storage/types.ts';
import { AssetService } from './assets/asset-service.ts';
import { ApiKeyAuthenticator } from './keys/api-key-authenticator.ts';
import { DeliveryCatalog } from './delivery/catalog.ts';
import { VariantAccessRecorder } from './delivery/access-recorder.ts';
import { OriginalSource } from './delivery/originals.ts';
import { VariantService } from './delivery/variants.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { SigningService } from './keys/signing-keys.ts';
import { UsageRecorder } from './usage.ts';

export interface Platform {
  config: AppConfig;
  pool: pg.Pool;
  storage: ObjectStore;
  redis: Redis | undefined;
  metrics: Metrics;
  auth: ApiKeyAuthenticator;
  catalog: DeliveryCatalog;
  variants: VariantService;
  assets: AssetService;
  signing: SigningService;
  usage: UsageRecorder;
  access: VariantAccessRecorder;
  memory: MemoryVariantCache;
  close(): Promise<void>;
}

export interface PlatformOverrides {
  /** Injected clock (seconds since the epoch) for signature expiry and rotation tests. */
  nowSeconds?: () => number;
  usageFlushMs?: number;
  /** Errors that happen after a response went out (write-behind stores); default: stderr. */
  logError?: (message: string, error: unknown) => void;
}

export async function createPlatform(
  config: AppConfig & { databaseUrl: string },
  overrides: PlatformOverrides = {},
): Promise<Platform> {
  configureSharp();
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 20 });
  // Idle-client errors (a restarted server) surface on the next query instead of crashing; the
  // per-client handler is what graphile-worker checks for on the shared pool.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const workerPool = createWorkerPool(config.databaseUrl);
  const storage = createObjectStore(config.storage);
  await storage.check();
  const redis = config.redisUrl ? createRedisClient(config.redisUrl) : undefined;
  const shared: SharedVariantCache | undefined = redis
    ? new RedisVariantCache(redis, { ttlSeconds: config.redisCacheTtlSeconds })
    : undefined;
  const lock: KeyedLock = redis ? new RedlockKeyedLock(redis) : new LocalKeyedLock();
  const metrics = createMetrics();
  const memory = new MemoryVariantCache({ maxBytes: config.memoryCacheBytes });
  const catalog = new DeliveryCatalog(pool, config.metadataCacheTtlMs);
  const usage = new UsageRecorder(pool, overrides.usageFlushMs ?? 5_000);
  const access = new VariantAccessRecorder(workerPool, overrides.usageFlushMs ?? 5_000);
  const variants = new VariantService({
    workerPool,
    storage,
    originals: new OriginalSource(storage, { maxBytes: config.originalsCacheBytes }),
    memory,
    shared,
    singleFlight: new SingleFlight(),
    lock,
    limiter: createTransformLimiter({
      maxConcurrent: config.maxConcurrentTransforms,
      maxQueued: config.maxQueuedTransforms,
    }),
    metrics,
    logError: overrides.logError ?? ((message, error) => console.error(`[imgplane] ${message}:`, error)),
  });
  const auth = new ApiKeyAuthenticator(pool, config.authCacheTtlMs);
  const signing = new SigningService({
    pool,
    masterKey: config.masterKey,
    hostBinding: config.signingHostBinding,
    catalog,
    keyCacheTtlMs: config.authCacheTtlMs,
    nowSeconds: overrides.nowSeconds ?? (() => Math.floor(Date.now() / 1000)),
  });
  return {
    config,
    pool,
    storage,
    redis,
    metrics,
    auth,
    catalog,
    variants,
    assets: new AssetService(pool, storage),
    signing,
    usage,
    access,
    memory,
    async close() {
      await variants.settled();
      await usage.close().catch(() => {});
      await access.close().catch(() => {});
      await lock.close();
      await shared?.close();
      redis?.disconnect();
      await storage.close();
      await workerPool.end();
      await pool.end();
    },
  };
}

/**
 * Connections that are imgplane_worker for their whole life, for the server-internal registry
 * reads and writes of the hot path: one round trip per query instead of begin / set_config /
 * query / commit, still under the worker role's grants and RLS. The role is a startup parameter,
 * so a connection that cannot take it fails instead of running as the login role.
 */
function createWorkerPool(databaseUrl: string): pg.Pool {
  const workerPool = new pg.Pool({ connectionString: databaseUrl, max: 8, options: '-c role=imgplane_worker' });
  workerPool.on('error', () => {});
  return workerPool;
}
