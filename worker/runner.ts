/**
 * Runs graphile-worker on a Platform: the outbox dispatcher (woken by the database when events
 * commit, swept every minute) and variant pregeneration. Works the same inside the server process
 * and as `npm run worker`; several instances may run against one database.
 */
import { makeWorkerUtils, parseCronItems, run, type TaskList } from 'graphile-worker';
import type { Platform } from '../platform/platform.ts';
import { VARIANT_LIFECYCLE_TASK, variantLifecycleTask } from './tasks/variant-lifecycle.ts';
import { loadWorkerConfig, type WorkerConfig } from './config.ts';
import { invalidationConsumer } from './consumers/invalidation.ts';
import { presetPregenerationConsumer, type EnqueueJob } from './consumers/preset-pregeneration.ts';
import type { EventConsumer } from './consumers/types.ts';
import { webhookConsumer } from './consumers/webhook.ts';
import { workerLogger } from './logger.ts';
import { OUTBOX_DISPATCH_JOB_KEY, OUTBOX_DISPATCH_TASK, outboxDispatchTask } from './tasks/outbox-dispatch.ts';
import { PREGENERATE_VARIANT_TASK, pregenerateVariantTask } from './tasks/pregenerate-variant.ts';

export interface StartWorkerOptions {
  platform: Platform;
  /** Default: read from the environment (WEBHOOK_URL, WEBHOOK_SECRET). */
  config?: WorkerConfig;
}

export interface WorkerHandle {
  /** Finishes the jobs in progress, then stops taking new ones. */
  stop(): Promise<void>;
}

const CONCURRENCY = 2;

function outboxConsumers(platform: Platform, config: WorkerConfig, enqueue: EnqueueJob): EventConsumer[] {
  const consumers = [invalidationConsumer(platform.pool), presetPregenerationConsumer(platform.pool, enqueue)];
  if (config.webhook) consumers.push(webhookConsumer(config.webhook));
  return consumers;
}

export async function startWorker(options: StartWorkerOptions): Promise<WorkerHandle> {
  const { platform } = options;
  const config = options.config ?? loadWorkerConfig();
  const logger = workerLogger(platform.config.logLevel);
  // The pregeneration consumer enqueues through these utils, so the queue schema must exist first.
  const utils = await makeWorkerUtils({ pgPool: platform.pool, logger });
  try {
    await utils.migrate();
    const taskList: TaskList = {
      [OUTBOX_DISPATCH_TASK]: outboxDispatchTask(platform.pool, outboxConsumers(platform, config, utils.addJob)),
      [PREGENERATE_VARIANT_TASK]: pregenerateVariantTask(platform),
      [VARIANT_LIFECYCLE_TASK]: variantLifecycleTask(platform),
    };
    const runner = await run({
      pgPool: platform.pool,
      taskList,
      // The safety net: events committed while no worker ran, or before graphile_worker existed.
      parsedCronItems: parseCronItems([
        {
          task: OUTBOX_DISPATCH_TASK,
          match: '* * * * *',
          identifier: 'outbox_dispatch_sweep',
          options: { backfillPeriod: 0, jobKey: OUTBOX_DISPATCH_JOB_KEY, maxAttempts: 1 },
        },
        // Daily, at a quiet hour: tier idle variants down and prune never-served ones.
        {
          task: VARIANT_LIFECYCLE_TASK,
          match: '17 3 * * *',
          identifier: 'variant_lifecycle_daily',
          options: { backfillPeriod: 0, maxAttempts: 1 },
        },
      ]),
      concurrency: CONCURRENCY,
      noHandleSignals: true,
      logger,
    });
    return {
      async stop() {
        await runner.stop();
        await utils.release();
      },
    };
  } catch (error) {
    await utils.release();
    throw error;
  }
}
