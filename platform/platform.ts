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
import { runtimeDatabaseUrl } from '../db/authenticator.ts';
import { LocalKeyedLock } from '../core/lock/local.ts';
import { RedlockKeyedLock } from '../core/lock/redlock.ts';
import { SingleFlight } from '../core/lock/single-flight.ts';
import type { KeyedLock } from '../core/lock/types.ts';
import { configureSharp, createTransformLimiter } from '../core/pipeline/limiter.ts';
import { PendingCounts } from '../core/pending-counts.ts';
import { createProcessPool } from '../core/pipeline/process-pool.ts';
import { sweepOrphanedTempFiles } from '../core/temp-files.ts';
import { ORIGINALS_TEMP_DIR } from './delivery/original-file.ts';
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
import { instrumentStore } from './instrumented-store.ts';
import { observePlatformState } from './state-metrics.ts';
import { SigningService } from './keys/signing-keys.ts';
import { Limits } from './limits/limits.ts';
import { OrganizationPolicies } from './limits/organization-policies.ts';
import { Quotas } from './limits/quotas.ts';
import { RateLimits } from './limits/rate-limits.ts';
import { UsageRecorder } from './usage.ts';
import { WebhookEndpointAdmin } from './events/webhook-endpoints.ts';
import type { OutboundPolicy } from './outbound-http.ts';
import { CachePurge } from './purge/cache-purge.ts';
import { PurgeTargets, type PurgeEndpoints } from './purge/purge-targets.ts';
import { CorsOrigins } from './cors-origins.ts';

export interface Platform {
  config: AppConfig;
  /**
   * Request connections: the authenticator login, imgplane_anonymous until a transaction sets
   * the caller's role (withClaims, PostGraphile's pgSettings).
   */
  pool: pg.Pool;
  /**
   * graphile-worker's queue, as the migrating login that owns its schema. Opens connections only
   * when used: by the worker (in-process or `npm run worker`), never by a server's requests.
   */
  queuePool: pg.Pool;
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
  /** Counts a hot path holds until a flush or scrape brings them into usage, access and metrics. */
  pendingCounts: PendingCounts;
  /** Origins allowed to call the API from browsers (the `cors_allowed_origins` policy). */
  cors: CorsOrigins;
  memory: MemoryVariantCache;
  /** Rate limits and quotas (platform/limits/), called by the shells. */
  limits: Limits;
  /** Which addresses tenant-chosen URLs (webhooks, generic CDN purge) may reach. */
  outbound: OutboundPolicy;
  webhooks: WebhookEndpointAdmin;
  purgeTargets: PurgeTargets;
  /** The invalidation API: drop variants from every cache layer, purge CDNs through the outbox. */
  cachePurge: CachePurge;
  close(): Promise<void>;
}

export interface PlatformOverrides {
  /** Injected clock (seconds since the epoch) for signature expiry and rotation tests. */
  nowSeconds?: () => number;
  usageFlushMs?: number;
  /** Vendor API base URLs of the CDN purge adapters (tests point them at local servers). */
  purgeEndpoints?: PurgeEndpoints;
  /** Errors that happen after a response went out (write-behind stores); default: stderr. */
  logError?: (message: string, error: unknown) => void;
}

export async function createPlatform(
  config: AppConfig & { databaseUrl: string },
  overrides: PlatformOverrides = {},
): Promise<Platform> {
  configureSharp();
  // Originals streamed to disk by a process that was killed mid-transform.
  await sweepOrphanedTempFiles(ORIGINALS_TEMP_DIR);
  const runtimeUrl = runtimeDatabaseUrl(config);
  const pool = createPool(runtimeUrl, 20, 'imgplane_anonymous');
  const workerPool = createPool(runtimeUrl, 8, 'imgplane_worker');
  const queuePool = createPool(config.databaseUrl, 8);
  const pendingCounts = new PendingCounts();
  const metrics = createMetrics(pendingCounts);
  const storage = instrumentStore(createObjectStore(config.storage), metrics);
  await storage.check();
  const redis = config.redisUrl ? createRedisClient(config.redisUrl) : undefined;
  const shared: SharedVariantCache | undefined = redis
    ? new RedisVariantCache(redis, { ttlSeconds: config.redisCacheTtlSeconds })
    : undefined;
  const lock: KeyedLock = redis ? new RedlockKeyedLock(redis) : new LocalKeyedLock();
  const memory = new MemoryVariantCache({ maxBytes: config.memoryCacheBytes, admission: config.memoryCacheAdmission });
  const catalog = new DeliveryCatalog(pool, config.metadataCacheTtlMs);
  const usage = new UsageRecorder(workerPool, overrides.usageFlushMs ?? 5_000, { pending: pendingCounts });
  const access = new VariantAccessRecorder(workerPool, overrides.usageFlushMs ?? 5_000, pendingCounts);
  const originals = new OriginalSource(storage, { maxBytes: config.originalsCacheBytes });
  const limiter = createTransformLimiter({
    maxConcurrent: config.maxConcurrentTransforms,
    maxQueued: config.maxQueuedTransforms,
  });
  observePlatformState(metrics, { limiter, memory, originals, redis, pool, workerPool, queuePool });
  const transforms = createProcessPool({ onKill: () => metrics.transformsKilled.inc() });
  const variants = new VariantService({
    workerPool,
    storage,
    originals,
    memory,
    shared,
    singleFlight: new SingleFlight(),
    lock,
    limiter,
    transforms,
    metrics,
    logError: overrides.logError ?? ((message, error) => console.error(`[imgplane] ${message}:`, error)),
  });
  const auth = new ApiKeyAuthenticator(pool, config.authCacheTtlMs);
  const outbound: OutboundPolicy = { allowPrivateNetworks: config.webhookAllowPrivateNetworks };
  const limits = createLimits(config, { redis, workerPool, metrics });
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
    queuePool,
    storage,
    redis,
    metrics,
    auth,
    catalog,
    variants,
    assets: new AssetService(pool, storage, (input, header, maxInputPixels, timeoutMs) => {
      // Uploads decode in the transform processes too, sharing their bound on how many run at once.
      const deadline = { deadlineAt: performance.now() + timeoutMs, timeoutMs };
      return limiter.run(() => transforms.checkDecodes(input, header, maxInputPixels, deadline), deadline);
    }),
    signing,
    usage,
    access,
    pendingCounts,
    cors: new CorsOrigins(pool, config.metadataCacheTtlMs),
    memory,
    limits,
    outbound,
    webhooks: new WebhookEndpointAdmin(pool, config.masterKey, outbound),
    purgeTargets: new PurgeTargets(pool, config.masterKey, outbound, overrides.purgeEndpoints),
    cachePurge: new CachePurge({ pool, storage, memory, shared }),
    async close() {
      await variants.settled();
      await transforms.close();
      await usage.close().catch(() => {});
      await access.close().catch(() => {});
      await lock.close();
      await shared?.close();
      redis?.disconnect();
      await storage.close();
      await workerPool.end();
      await queuePool.end();
      await pool.end();
    },
  };
}

function createLimits(config: AppConfig, deps: { redis: Redis | undefined; workerPool: pg.Pool; metrics: Metrics }): Limits {
  const policies = new OrganizationPolicies(deps.workerPool, config.metadataCacheTtlMs);
  const rates = new RateLimits({ redis: deps.redis, policies, metrics: deps.metrics, enabled: config.rateLimits });
  const quotas = new Quotas({ redis: deps.redis, workerPool: deps.workerPool, policies, metrics: deps.metrics });
  return new Limits(rates, quotas, policies);
}

/**
 * A pool whose connections are `role` from their start, when one is given: the request pool
 * (authenticator login) is imgplane_anonymous between transactions, so a query that runs without
 * claims sees what an anonymous caller may; the worker pool is imgplane_worker for its whole life,
 * for the server-internal registry reads and writes of the hot path (one round trip per query
 * instead of begin / set_config / query / commit, still under that role's grants and RLS). The
 * role is a startup parameter, so a connection that cannot take it fails instead of running as
 * the login. Without a role: the queue pool, graphile-worker's, as the migrating login.
 */
function createPool(connectionString: string, max: number, role?: 'imgplane_anonymous' | 'imgplane_worker'): pg.Pool {
  const created = new pg.Pool({ connectionString, max, ...(role ? { options: `-c role=${role}` } : {}) });
  // Idle-client errors (a restarted server) surface on the next query instead of crashing; the
  // per-client handler is what graphile-worker checks for on the pool it is given.
  created.on('error', () => {});
  created.on('connect', (client) => client.on('error', () => {}));
  return created;
}
