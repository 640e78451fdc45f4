/**
 * Runs graphile-worker on a Platform: the outbox dispatcher (woken by the database's NOTIFY when
 * events commit, swept every minute) and variant pregeneration. Works the same inside the server process
 * and as `npm run worker`; several instances may run against one database.
 */
import { EventEmitter } from 'node:events';
import { makeWorkerUtils, parseCronItems, run, type TaskList, type WorkerEvents } from 'graphile-worker';
import type { Platform } from '../platform/platform.ts';
import { VARIANT_LIFECYCLE_TASK, variantLifecycleTask } from './tasks/variant-lifecycle.ts';
import { DATA_RETENTION_TASK, dataRetentionTask } from './tasks/data-retention.ts';
import { loadWorkerConfig, type WorkerConfig } from './config.ts';
import { invalidationConsumer } from './consumers/invalidation.ts';
import { presetPregenerationConsumer, type EnqueueJob } from './consumers/preset-pregeneration.ts';
import type { EventConsumer } from './consumers/types.ts';
import { webhookConsumer } from './consumers/webhook.ts';
import { workerLogger } from './logger.ts';
import { startDeadWorkerRecovery } from './dead-worker-recovery.ts';
import { AmqpEventSink } from '../platform/events/amqp-sink.ts';
import type { EventSink } from '../platform/events/sink.ts';
import { WEBHOOK_DELIVER_TASK, WebhookDeliveries } from '../platform/events/webhook-deliveries.ts';
import { cdnPurgeConsumer } from './consumers/cdn-purge.ts';
import { eventSinkConsumer } from './consumers/event-sink.ts';
import { webhookFanOutConsumer } from './consumers/webhook-fanout.ts';
import { CDN_PURGE_TASK, cdnPurgeTask } from './tasks/cdn-purge.ts';
import { webhookDeliverTask } from './tasks/webhook-deliver.ts';
import { OUTBOX_DISPATCH_JOB_KEY, OUTBOX_DISPATCH_TASK, outboxDispatchTask, scheduleDispatch } from './tasks/outbox-dispatch.ts';
import { listenForOutboxWakeups } from './outbox-wakeup.ts';
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

function outboxConsumers(
  platform: Platform,
  config: WorkerConfig,
  enqueue: EnqueueJob,
  deliveries: WebhookDeliveries,
  sink: EventSink | undefined,
): EventConsumer[] {
  const consumers = [
    invalidationConsumer(platform.pool),
    presetPregenerationConsumer(platform.pool, enqueue),
    webhookFanOutConsumer(deliveries),
    cdnPurgeConsumer(platform.pool, platform.purgeTargets, enqueue),
  ];
  if (config.webhook) consumers.push(webhookConsumer(config.webhook));
  if (sink) consumers.push(eventSinkConsumer(sink));
  return consumers;
}

/** error: an attempt threw (retried while attempts remain); failed: it also was the last attempt. */
function countJobOutcomes(events: WorkerEvents, metrics: Platform['metrics']): void {
  events.on('job:success', ({ job }) => metrics.workerJobs.inc({ task: job.task_identifier, outcome: 'success' }));
  events.on('job:error', ({ job }) => metrics.workerJobs.inc({ task: job.task_identifier, outcome: 'error' }));
  events.on('job:failed', ({ job }) => metrics.workerJobs.inc({ task: job.task_identifier, outcome: 'failed' }));
}

export async function startWorker(options: StartWorkerOptions): Promise<WorkerHandle> {
  const { platform } = options;
  const config = options.config ?? loadWorkerConfig();
  const logger = workerLogger(platform.config.logLevel);
  // The pregeneration consumer enqueues through these utils, so the queue schema must exist first.
  const utils = await makeWorkerUtils({ pgPool: platform.queuePool, logger });
  const deliveries = new WebhookDeliveries(platform.pool, platform.config.masterKey, platform.outbound, config.webhookRetry);
  const sink = config.eventsAmqpUrl ? new AmqpEventSink({ url: config.eventsAmqpUrl }) : undefined;
  try {
    await utils.migrate();
    const consumers = outboxConsumers(platform, config, utils.addJob, deliveries, sink);
    const taskList: TaskList = {
      [OUTBOX_DISPATCH_TASK]: outboxDispatchTask(platform.pool, consumers, platform.metrics),
      [WEBHOOK_DELIVER_TASK]: webhookDeliverTask(deliveries),
      [CDN_PURGE_TASK]: cdnPurgeTask(platform.purgeTargets),
      [PREGENERATE_VARIANT_TASK]: pregenerateVariantTask(platform),
      [VARIANT_LIFECYCLE_TASK]: variantLifecycleTask(platform),
      [DATA_RETENTION_TASK]: dataRetentionTask(platform, config.retention),
    };
    // Our own emitter, given to run(): workers are created (and announce their ids) before it resolves.
    const events: WorkerEvents = new EventEmitter();
    countJobOutcomes(events, platform.metrics);
    const recovery = await startDeadWorkerRecovery({
      pool: platform.queuePool,
      events,
      utils,
      log: (message) => logger.warn(message),
    });
    const runner = await run({
      pgPool: platform.queuePool,
      events,
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
        // Daily, after the lifecycle: delete what is past its retention (worker/tasks/data-retention.ts).
        {
          task: DATA_RETENTION_TASK,
          match: '47 3 * * *',
          identifier: 'data_retention_daily',
          options: { backfillPeriod: 0, maxAttempts: 1 },
        },
      ]),
      concurrency: CONCURRENCY,
      noHandleSignals: true,
      logger,
    }).catch(async (error: unknown) => {
      await recovery.close();
      throw error;
    });
    // Committed events NOTIFY; a burst of them becomes one dispatcher job, due now (a pending
    // retry-time job is brought forward; the run reschedules any later retry itself).
    const wakeups = await listenForOutboxWakeups({
      pool: platform.pool,
      enqueue: async () => {
        const client = await platform.queuePool.connect();
        try {
          await scheduleDispatch(client, null);
        } finally {
          client.release();
        }
      },
      onError: (error) => logger.error(`outbox wake-up failed (the minute sweep will deliver): ${String(error)}`),
    }).catch(async (error: unknown) => {
      await runner.stop();
      await recovery.close();
      throw error;
    });
    return {
      async stop() {
        await wakeups.close();
        await runner.stop();
        await recovery.close();
        await sink?.close();
        await utils.release();
      },
    };
  } catch (error) {
    await sink?.close();
    await utils.release();
    throw error;
  }
}
