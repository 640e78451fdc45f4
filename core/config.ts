/**
 * Configuration, read once from the environment, validated and typed. Nothing else in the code
 * reads process.env. Every variable is documented in README.md ("Configuration").
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MEMORY_CACHE_ADMISSIONS, type MemoryCacheAdmission } from './cache/memory.ts';
import { storageConfigFromEnv, type StorageConfig } from './storage/config.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The response headers that carry cache tags, each read by one CDN (platform/purge/cache-tags.ts). */
export const CACHE_TAG_HEADERS = ['cache-tag', 'surrogate-key', 'edge-cache-tag'] as const;
export type CacheTagHeader = (typeof CACHE_TAG_HEADERS)[number];

export interface AppConfig {
  production: boolean;
  host: string;
  port: number;
  /**
   * The login that migrates: it owns the schema (through imgplane_owner) and graphile-worker's
   * queue. Absent: start the embedded PostgreSQL under `dataDir`.
   */
  databaseUrl: string | undefined;
  /**
   * AUTH_DATABASE_URL: the login every request and job runs under, imgplane_authenticator, which
   * can only become the request roles. Absent: DATABASE_URL with that user name and no password
   * (trust, peer or certificate authentication; the embedded cluster sets its own).
   */
  authDatabaseUrl: string | undefined;
  /** Absent: in-process cache and lock only. */
  redisUrl: string | undefined;
  dataDir: string;
  /** EMBEDDED_PG_PORT: where the zero-config embedded PostgreSQL listens. */
  embeddedPgPort: number;
  storage: StorageConfig;
  /**
   * 32-byte key that encrypts signing-key secrets at rest. Required in production; the zero-config
   * default keeps a generated one in `dataDir`.
   */
  masterKey: Buffer | undefined;
  /**
   * Base of the URLs returned to clients (a CDN host in production). Absent: the scheme and host
   * the client called.
   */
  publicBaseUrl: string | undefined;
  /** Run graphile-worker inside the server process (zero-config) or leave it to `npm run worker`. */
  workerInProcess: boolean;
  /** Bind signed URLs to the Host header (off: CDN host names must not break URLs). */
  signingHostBinding: boolean;
  /**
   * Let webhook endpoints and generic CDN purge URLs point at loopback, link-local and private
   * addresses (WEBHOOK_ALLOW_PRIVATE_NETWORKS; off: tenants cannot make the platform call inside).
   */
  webhookAllowPrivateNetworks: boolean;
  memoryCacheBytes: number;
  /** When a variant enters the memory cache (MEMORY_CACHE_ADMISSION; core/cache/memory.ts). */
  memoryCacheAdmission: MemoryCacheAdmission;
  /**
   * The cache-tag headers image answers carry (CACHE_TAG_HEADERS, default all three): each is read
   * by one CDN (Cloudflare, Fastly, Akamai), which strips it; a deployment behind one of them, or
   * behind none, need not send the others (~150 bytes each) with every image.
   */
  cacheTagHeaders: readonly CacheTagHeader[];
  /** In-process budget for recently used originals (new variants of them skip storage). */
  originalsCacheBytes: number;
  redisCacheTtlSeconds: number;
  maxConcurrentTransforms: number;
  maxQueuedTransforms: number;
  /** How long an API key's authentication is cached in-process (revocation delay bound). */
  authCacheTtlMs: number;
  /** How long asset, policy and preset lookups are cached in-process. */
  metadataCacheTtlMs: number;
  seedDemo: boolean;
  logLevel: string;
  /** SHUTDOWN_DRAIN_MS: after SIGTERM, how long readiness fails while requests are still served. */
  shutdownDrainMs: number;
  /**
   * RATE_LIMITS: enforce the rate limits of platform/limits/ (on by default; `off` exists for the
   * bench comparison and for operators who limit at a gateway instead). Quotas stay on.
   */
  rateLimits: boolean;
  /**
   * TRUST_PROXY: which proxies may set X-Forwarded-For, so the client address of per-address rate
   * limits is the client's, not the CDN's: false (default), true (any), or addresses/CIDRs.
   */
  trustProxy: boolean | string;
  /** Connection bounds of the HTTP server (server/app.ts). */
  http: HttpLimits;
  /**
   * Where GET /metrics is served: its own listener (METRICS_PORT, 9464 on METRICS_HOST, loopback
   * by default), and/or the public port behind `Authorization: Bearer METRICS_TOKEN`.
   */
  metrics: { port: number | undefined; host: string; token: string | undefined };
}

export interface HttpLimits {
  /** REQUEST_TIMEOUT_MS: the whole request (an upload's body included) must arrive within this; then 408. */
  requestTimeoutMs: number;
  /** HEADERS_TIMEOUT_MS: the request headers must arrive within this. */
  headersTimeoutMs: number;
  /** IDLE_TIMEOUT_MS: a connection silent this long (no bytes either way) is closed. */
  idleTimeoutMs: number;
  /** KEEP_ALIVE_TIMEOUT_MS: how long an idle keep-alive connection waits for its next request. */
  keepAliveTimeoutMs: number;
  /** MAX_CONNECTIONS: open connections beyond this are refused at accept. */
  maxConnections: number;
}

/** Prometheus' customary exporter port. */
export const DEFAULT_METRICS_PORT = 9464;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const production = env.NODE_ENV === 'production';
  const host = env.HOST ?? '127.0.0.1';
  const port = integer(env, 'PORT', 3000, 0, 65_535);
  const dataDir = path.resolve(REPO_ROOT, env.IMGPLANE_DATA_DIR ?? '.data');
  const masterKey = env.IMGPLANE_MASTER_KEY === undefined ? undefined : decodeKey(env.IMGPLANE_MASTER_KEY);
  if (production && masterKey === undefined) {
    throw new ConfigError('IMGPLANE_MASTER_KEY is required in production (32 bytes, base64 or hex)');
  }
  if (production && env.DATABASE_URL === undefined) {
    throw new ConfigError('DATABASE_URL is required in production (the embedded PostgreSQL is for one-box use)');
  }
  return {
    production,
    host,
    port,
    databaseUrl: nonEmpty(env.DATABASE_URL),
    authDatabaseUrl: nonEmpty(env.AUTH_DATABASE_URL),
    redisUrl: nonEmpty(env.REDIS_URL),
    dataDir,
    embeddedPgPort: integer(env, 'EMBEDDED_PG_PORT', 54329, 1, 65_535),
    storage: storageConfigFromEnv(env, { localDir: path.join(dataDir, 'storage') }),
    masterKey,
    publicBaseUrl: nonEmpty(env.PUBLIC_BASE_URL)?.replace(/\/$/, ''),
    workerInProcess: (env.WORKER_MODE ?? 'in-process') === 'in-process',
    signingHostBinding: flag(env, 'SIGNING_HOST_BINDING', false),
    webhookAllowPrivateNetworks: flag(env, 'WEBHOOK_ALLOW_PRIVATE_NETWORKS', false),
    memoryCacheBytes: integer(env, 'MEMORY_CACHE_MB', 256, 0, 65_536) * 1024 * 1024,
    memoryCacheAdmission: oneOf(env, 'MEMORY_CACHE_ADMISSION', MEMORY_CACHE_ADMISSIONS, 'second-request'),
    cacheTagHeaders: someOf(env, 'CACHE_TAG_HEADERS', CACHE_TAG_HEADERS),
    originalsCacheBytes: integer(env, 'ORIGINALS_CACHE_MB', 128, 0, 65_536) * 1024 * 1024,
    redisCacheTtlSeconds: integer(env, 'REDIS_CACHE_TTL_SECONDS', 3600, 1, 31_536_000),
    maxConcurrentTransforms: integer(env, 'MAX_CONCURRENT_TRANSFORMS', 2, 1, 256),
    maxQueuedTransforms: integer(env, 'MAX_QUEUED_TRANSFORMS', 64, 0, 100_000),
    authCacheTtlMs: integer(env, 'AUTH_CACHE_TTL_MS', 10_000, 0, 3_600_000),
    metadataCacheTtlMs: integer(env, 'METADATA_CACHE_TTL_MS', 10_000, 0, 3_600_000),
    seedDemo: flag(env, 'SEED_DEMO', !production),
    logLevel: env.LOG_LEVEL ?? (production ? 'info' : 'warn'),
    // Long enough for a load balancer's readiness checks to notice; nothing to wait for on a laptop.
    shutdownDrainMs: integer(env, 'SHUTDOWN_DRAIN_MS', production ? 5_000 : 0, 0, 600_000),
    rateLimits: flag(env, 'RATE_LIMITS', true),
    trustProxy: trustProxy(env.TRUST_PROXY),
    http: httpLimits(env),
    metrics: {
      // `off`: no listener of its own (then only METRICS_TOKEN on the public port serves them).
      port: env.METRICS_PORT === 'off' ? undefined : integer(env, 'METRICS_PORT', DEFAULT_METRICS_PORT, 0, 65_535),
      host: env.METRICS_HOST ?? '127.0.0.1',
      token: nonEmpty(env.METRICS_TOKEN),
    },
  };
}

function httpLimits(env: NodeJS.ProcessEnv): HttpLimits {
  const requestTimeoutMs = integer(env, 'REQUEST_TIMEOUT_MS', 120_000, 1_000, 3_600_000);
  const headersTimeoutMs = integer(env, 'HEADERS_TIMEOUT_MS', 10_000, 1_000, 600_000);
  // Node refuses a headers timeout longer than the request timeout.
  if (headersTimeoutMs > requestTimeoutMs) throw new ConfigError('HEADERS_TIMEOUT_MS must not be longer than REQUEST_TIMEOUT_MS');
  return {
    requestTimeoutMs,
    headersTimeoutMs,
    idleTimeoutMs: integer(env, 'IDLE_TIMEOUT_MS', 60_000, 1_000, 3_600_000),
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 5_000, 1_000, 600_000),
    maxConnections: integer(env, 'MAX_CONNECTIONS', 10_000, 1, 1_000_000),
  };
}

function trustProxy(raw: string | undefined): boolean | string {
  const value = nonEmpty(raw);
  if (value === undefined || ['0', 'false', 'no', 'off'].includes(value.toLowerCase())) return false;
  if (['1', 'true', 'yes', 'on'].includes(value.toLowerCase())) return true;
  return value; // addresses or CIDRs, comma-separated (Fastify's trustProxy syntax)
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if ((values as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
}

/** A comma-separated list of `values` (all of them when unset, none for `none`). */
function someOf<T extends string>(env: NodeJS.ProcessEnv, name: string, values: readonly T[]): readonly T[] {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return values;
  if (raw === 'none') return [];
  const listed = raw.split(',').map((item) => item.trim().toLowerCase());
  const unknown = listed.filter((item) => !(values as readonly string[]).includes(item));
  if (unknown.length > 0) throw new ConfigError(`${name} must list some of ${values.join(', ')}, or be none; got "${unknown.join(', ')}"`);
  return values.filter((value) => listed.includes(value));
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

export function decodeKey(raw: string): Buffer {
  const trimmed = raw.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new ConfigError('IMGPLANE_MASTER_KEY must decode to exactly 32 bytes (base64 or hex)');
  return key;
}

/** A connection URL safe to print: the password replaced by ***. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}
