/**
 * `npm run worker`: graphile-worker as its own process, for deployments that keep background work
 * off the servers (WORKER_MODE other than in-process). Needs DATABASE_URL: it joins the servers'
 * database, storage and caches, configured by the same environment variables.
 */
import '../platform/runtime-env.ts';
import { ConfigError, loadConfig } from '../core/config.ts';
import { StorageConfigError } from '../core/storage/types.ts';
import { applyDatabase } from '../db/apply.ts';
import { listenForInvalidations } from '../platform/invalidation.ts';
import { createPlatform } from '../platform/platform.ts';
import { loadWorkerConfig } from './config.ts';
import { serveMetrics } from './metrics-listener.ts';
import { startWorker } from './runner.ts';
import { handleShutdownSignals, type Shutdown } from '../core/shutdown-signals.ts';

const say = (line: string) => console.log(`[imgplane worker] ${line}`);

async function main(shutdown: Shutdown): Promise<void> {
  const config = loadConfig();
  const workerConfig = loadWorkerConfig();
  const { databaseUrl } = config;
  if (!databaseUrl) throw new ConfigError('DATABASE_URL is required: the worker joins the servers\' database');
  await applyDatabase(databaseUrl, { log: say });
  await shutdown.checkpoint();
  const platform = await createPlatform({ ...config, databaseUrl });
  shutdown.onStop(() => platform.close());
  // Pregeneration reads presets and policies through the catalog cache: keep it as fresh as the servers'.
  const invalidations = await listenForInvalidations(platform, { applicationName: 'imgplane-worker-invalidation' });
  shutdown.onStop(() => invalidations.close());
  const worker = await startWorker({ platform, config: workerConfig });
  // Stopping lets jobs in progress finish first.
  shutdown.onStop(() => worker.stop());
  say(`running${workerConfig.webhook ? `; webhooks to ${new URL(workerConfig.webhook.url).origin}` : ''}`);
  const metrics =
    workerConfig.metricsPort === undefined
      ? undefined
      : await serveMetrics(platform.metrics.registry, config.host, workerConfig.metricsPort);
  if (metrics) {
    shutdown.onStop(() => metrics.close());
    say(`metrics: http://${config.host}:${metrics.port}/metrics`);
  }
  await shutdown.started();
}

const shutdown = handleShutdownSignals(say);
main(shutdown).catch(async (error: unknown) => {
  if (error instanceof ConfigError || error instanceof StorageConfigError) {
    console.error(`[imgplane worker] cannot start: ${error.message}`);
  } else {
    console.error('[imgplane worker] cannot start:', error);
  }
  await shutdown.abort();
  process.exit(1);
});
