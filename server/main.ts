/**
 * `npm start`: the whole platform on one box with no configuration (embedded PostgreSQL,
 * local-disk storage, in-process cache, lock and worker, a seeded demo), or, with DATABASE_URL,
 * REDIS_URL and STORAGE=s3|minio, one server process of a scaled-out deployment.
 */
import '../platform/runtime-env.ts';
import path from 'node:path';
import { ConfigError, DEFAULT_METRICS_PORT, loadConfig, redactUrl, type AppConfig } from '../core/config.ts';
import { ImgplaneError } from '../core/errors.ts';
import { StorageConfigError } from '../core/storage/types.ts';
import { applyDatabase } from '../db/apply.ts';
import { authenticatorUrl } from '../db/authenticator.ts';
import { startEmbeddedPostgres } from '../db/embedded.ts';
import { buildApp } from './app.ts';
import { drainAndClose } from './drain.ts';
import { mountGraphql } from '../graphql/mount.ts';
import { loadOrCreateDevMasterKey } from '../platform/dev-master-key.ts';
import { createPlatform } from '../platform/platform.ts';
import { seedDemo, type DemoSeed } from '../platform/demo-seed.ts';
import { analystConnectionString } from '../platform/analyst-logins.ts';
import { demoAnalystLogin } from '../platform/demo-analyst.ts';
import { demoPage } from './routes/demo.ts';
import { handleShutdownSignals, type Shutdown } from '../core/shutdown-signals.ts';
import { listenForInvalidations } from '../platform/invalidation.ts';
import { startWorker } from '../worker/runner.ts';
import type { Registry } from 'prom-client';
import { serveMetrics, type MetricsListener } from '../platform/metrics-listener.ts';

const say = (line: string) => console.log(`[imgplane] ${line}`);

async function main(shutdown: Shutdown): Promise<void> {
  const config = loadConfig();
  let { databaseUrl, authDatabaseUrl } = config;
  if (databaseUrl) {
    say(`database: ${redactUrl(databaseUrl)}`);
  } else {
    const dataDir = path.join(config.dataDir, 'postgres');
    say(`database: embedded PostgreSQL in ${dataDir} (set DATABASE_URL to use your own)`);
    const port = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
    const embedded = await startEmbeddedPostgres({ dataDir, port, persistent: true, log: say }).catch((error: unknown) => {
      throw new ConfigError(
        `the embedded PostgreSQL did not start (${error instanceof Error ? error.message : 'see its output above'}); ` +
          `is another imgplane already using ${dataDir} or port ${port}? Stop it, or set EMBEDDED_PG_PORT / IMGPLANE_DATA_DIR`,
      );
    });
    // Stopped last, and also when the start fails or is interrupted after this point.
    shutdown.onStop(() => embedded.stop());
    databaseUrl = embedded.url;
    authDatabaseUrl = authenticatorUrl(embedded.url, embedded.authenticatorPassword);
    await shutdown.checkpoint();
  }
  await applyDatabase(databaseUrl, { log: say });
  await shutdown.checkpoint();
  const masterKey = config.masterKey ?? (await loadOrCreateDevMasterKey(config.dataDir));
  const platform = await createPlatform({ ...config, databaseUrl, authDatabaseUrl, masterKey });
  shutdown.onStop(() => platform.close());
  say(`storage: ${describeStorage(config)}`);
  say(`cache and lock: ${config.redisUrl ? `Redis ${redactUrl(config.redisUrl)} + in-process` : 'in-process (set REDIS_URL to share across instances)'}`);

  // Changes made by other processes reach this one's caches through the outbox's NOTIFY.
  const invalidations = await listenForInvalidations(platform);
  shutdown.onStop(() => invalidations.close());
  let demo: DemoSeed | undefined;
  const app = await buildApp(platform, [mountGraphql, demoPage(() => demo)]);
  const worker = config.workerInProcess ? await startWorker({ platform }) : undefined;
  if (worker) shutdown.onStop(() => worker.stop());
  say(`worker: ${worker ? 'in-process (WORKER_MODE=external and `npm run worker` to scale it out)' : 'external (npm run worker)'}`);
  await shutdown.checkpoint();
  const address = await app.listen({ host: config.host, port: config.port });
  // Stopped first: the balancer stops sending before anything below the HTTP server goes away.
  shutdown.onStop(() => drainAndClose(app, config.shutdownDrainMs));
  say(`listening on ${address}`);
  const metrics = await startMetricsListener(platform.metrics.registry, config);
  if (metrics) shutdown.onStop(() => metrics.close());

  if (config.seedDemo) {
    demo = await seedDemo(platform, address);
    const pub = demo.asset.urls.original.replace(/\/original\.[a-z]+$/, '');
    say('demo organisation "demo" / tenant "website" / space "marketing" is ready:');
    say(`  admin API key (keep it secret): ${demo.apiKey}`);
    say(`  original:   ${demo.asset.urls.original}`);
    say(`  resized:    ${pub}/w_800-h_600-f_cover-q_85.webp`);
    say(`  negotiated: ${pub}/w_400-fmt_auto.jpg   (AVIF/WebP/JPEG by Accept)`);
    say(`  preset:     ${pub}/preset_thumb.jpg`);
    say(`  upload:     curl -H 'x-api-key: ${demo.apiKey}' -F file=@photo.jpg ${address}/v1/spaces/${demo.spaceId}/assets`);
    say(`  sign:       curl -H 'x-api-key: ${demo.apiKey}' -H 'content-type: application/json' -d '{"path":"/v1/priv/demo/website/marketing/img/${demo.asset.id}/v1/w_300.jpg"}' ${address}/v1/sign`);
    say(`  health:     ${address}/health/ready`);
    say(`  demo page:  ${address}/   API reference: ${address}/reference`);
    const analyst = await demoAnalystLogin(platform, demo.organizationId);
    say(`  data team:  psql '${analystConnectionString(databaseUrl, analyst)}'   (reads "demo" only: \\dv imgplane.*)`);
  }
  // Seeding is part of the start: a signal during it stops the process once the seed is in.
  await shutdown.started();
}

/**
 * GET /metrics on its own listener (loopback unless METRICS_HOST says otherwise). A zero-config
 * start whose default port is taken by another imgplane goes on without it, saying so.
 */
async function startMetricsListener(registry: Registry, config: AppConfig): Promise<MetricsListener | undefined> {
  const { port, host } = config.metrics;
  if (port === undefined) return undefined;
  try {
    const listener = await serveMetrics(registry, host, port);
    say(`metrics: http://${host}:${listener.port}/metrics`);
    return listener;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port !== DEFAULT_METRICS_PORT) throw error;
    say(`metrics: port ${port} is in use, no metrics listener (set METRICS_PORT)`);
    return undefined;
  }
}

function describeStorage(config: AppConfig): string {
  const storage = config.storage;
  if (storage.kind === 'local') return `local disk in ${storage.dir}`;
  if (storage.kind === 's3') return `S3 bucket ${storage.bucket}${storage.endpoint ? ` at ${storage.endpoint}` : ''}`;
  return `MinIO bucket ${storage.bucket} at ${storage.endPoint}`;
}


const shutdown = handleShutdownSignals(say);
main(shutdown).catch(async (error: unknown) => {
  // Our own errors say what is wrong (a setting, an unreachable store): their message is enough.
  if (error instanceof ConfigError || error instanceof StorageConfigError || error instanceof ImgplaneError) {
    console.error(`[imgplane] cannot start: ${error.message}`);
  } else {
    console.error('[imgplane] cannot start:', error);
  }
  // A half-started platform must not leave its embedded PostgreSQL running.
  await shutdown.abort();
  process.exit(1);
});
