/**
 * Starts the real server (real PostgreSQL, real storage, optional real Redis) on an ephemeral
 * port for integration tests, exactly as `npm start` wires it, with test-sized settings.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { inject } from 'vitest';
import { loadConfig, type AppConfig } from '../../core/config.ts';
import { authenticatorUrl } from '../../db/authenticator.ts';
import { testPool } from './services.ts';
import type { StorageConfig } from '../../core/storage/config.ts';
import { buildApp, type AppExtension } from '../../server/app.ts';
import { mountGraphql } from '../../graphql/mount.ts';
import { createPlatform, type Platform, type PlatformOverrides } from '../../platform/platform.ts';

export interface TestApp {
  baseUrl: string;
  app: FastifyInstance;
  platform: Platform;
  /**
   * The run's database as the migrating login, which RLS does not bind: for a test to look at or
   * arrange rows behind the server's back. The server's own pools run as the request roles.
   */
  db: pg.Pool;
  close(): Promise<void>;
}

export interface TestAppOptions extends PlatformOverrides {
  /** Default: local disk in a temp folder. */
  storage?: StorageConfig;
  /** Default: no Redis. Pass a URL (e.g. through a cuttable proxy) to use one. */
  redisUrl?: string;
  config?: Partial<AppConfig>;
  /** Mounted after GraphQL, as server/main.ts mounts them (e.g. the demo page). */
  extensions?: readonly AppExtension[];
}

export const TEST_METRICS_TOKEN = 'test-metrics-token';
/** Headers that GET /metrics of a test app needs. */
export const METRICS_AUTH = { authorization: `Bearer ${TEST_METRICS_TOKEN}` } as const;

/** `databaseUrl` (default: the run's database) as imgplane_authenticator: a server's AUTH_DATABASE_URL. */
export function testAuthDatabaseUrl(databaseUrl: string = inject('databaseUrl')): string {
  return authenticatorUrl(databaseUrl, inject('authenticatorPassword'));
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'imgplane-app-'));
  const base = loadConfig({ NODE_ENV: 'test', IMGPLANE_DATA_DIR: dataDir });
  const config = {
    ...base,
    databaseUrl: inject('databaseUrl'),
    redisUrl: options.redisUrl,
    storage: options.storage ?? { kind: 'local' as const, dir: path.join(dataDir, 'storage') },
    masterKey: randomBytes(32),
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    seedDemo: false,
    authCacheTtlMs: 1_000,
    // /metrics is served on the app's port only behind a token (server/routes/health.ts).
    metrics: { port: undefined, host: '127.0.0.1', token: TEST_METRICS_TOKEN },
    ...options.config,
  };
  config.authDatabaseUrl ??= testAuthDatabaseUrl(config.databaseUrl);
  const platform = await createPlatform(config, { usageFlushMs: 60_000, ...options });
  const app = await buildApp(platform, [mountGraphql, ...(options.extensions ?? [])]);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const db = testPool(config.databaseUrl);
  return {
    baseUrl: address,
    app,
    platform,
    db,
    async close() {
      await app.close();
      await platform.close();
      await db.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
