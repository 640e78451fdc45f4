/**
 * Retention by age (daily, crontab): delivered outbox events, audit rows and daily usage rows
 * older than their retention, graphile-worker jobs that failed for good, and soft-deleted assets
 * past their grace period together with their versions, variants and stored objects. Operator
 * settings, platform-wide (RETENTION_* in worker/config.ts); the monthly usage rollup is kept.
 *
 * Everything goes in batches, oldest first, each its own short transaction, so a first run on a
 * large backlog neither holds locks for long nor bloats one transaction; a run stops after
 * `maxBatches` per kind and the next day's run continues.
 */
import type { Task } from 'graphile-worker';
import type pg from 'pg';
import type { ObjectStore } from '../../core/storage/types.ts';
import { lockContent } from '../../platform/assets/asset-service.ts';
import { WORKER, withClaims } from '../../platform/request-context.ts';

export const DATA_RETENTION_TASK = 'data_retention';

export interface RetentionSettings {
  /** Days a delivered outbox event is kept after its delivery (dead letters are kept). */
  eventsDays: number;
  /** Days an audit row is kept. */
  auditDays: number;
  /** Days a daily usage row is kept (usage_monthly keeps the monthly sums). */
  usageDays: number;
  /** Days a graphile-worker job that used up its attempts is kept for inspection. */
  failedJobsDays: number;
  /** Days a soft-deleted asset can still be restored before it and its files are deleted. */
  deletedAssetsGraceDays: number;
  /** Rows per batch, and batches per kind and run. */
  batchSize: number;
  maxBatches: number;
}

export const DEFAULT_RETENTION: Readonly<RetentionSettings> = Object.freeze({
  eventsDays: 30,
  auditDays: 365,
  usageDays: 400,
  failedJobsDays: 30,
  deletedAssetsGraceDays: 30,
  batchSize: 1_000,
  maxBatches: 100,
});

export interface RetentionOutcome {
  /** Monthly partitions created (the months ahead, and months whose rows waited in a default partition). */
  partitionsCreated: number;
  events: number;
  auditLogs: number;
  usageRows: number;
  failedJobs: number;
  /** Versions of purged assets (an asset with three versions counts three). */
  assetVersions: number;
  objects: number;
  /** Stored objects whose deletion failed (left behind; their rows are gone). */
  objectFailures: number;
}

interface Retaining {
  pool: pg.Pool;
  /** graphile-worker's tables belong to the migrating login, not to a request role. */
  queuePool: pg.Pool;
  storage: ObjectStore;
}

interface PurgedVersion {
  organization_id: string;
  content_hash: string;
  original_key: string;
  variant_keys: string[];
}

export async function runDataRetention(platform: Retaining, settings: RetentionSettings = DEFAULT_RETENTION): Promise<RetentionOutcome> {
  const expired = (kind: string, days: number) =>
    inBatches(settings, async () => {
      const { rows } = await withClaims(platform.pool, WORKER, (client) =>
        client.query<{ deleted: number }>('select imgplane.delete_expired($1, $2, $3) as deleted', [kind, days, settings.batchSize]),
      );
      return rows[0]!.deleted;
    });
  // Before the deletes, so rows that waited in a default partition sit in a month that can be dropped whole.
  const partitions = await withClaims(platform.pool, WORKER, (client) =>
    client.query<{ created: number }>('select imgplane.maintain_partitions() as created'),
  );
  const outcome: RetentionOutcome = {
    partitionsCreated: partitions.rows[0]!.created,
    events: await expired('events', settings.eventsDays),
    auditLogs: await expired('audit_logs', settings.auditDays),
    usageRows: await expired('usage_metrics', settings.usageDays),
    failedJobs: await inBatches(settings, () => deleteFailedJobs(platform.queuePool, settings)),
    assetVersions: 0,
    objects: 0,
    objectFailures: 0,
  };
  await inBatches(settings, async () => {
    const purged = await withClaims(platform.pool, WORKER, (client) =>
      client.query<PurgedVersion>('select * from imgplane.purge_deleted_assets($1, $2)', [settings.deletedAssetsGraceDays, settings.batchSize]),
    );
    for (const version of purged.rows) await deleteUnsharedObjects(platform, version, outcome);
    outcome.assetVersions += purged.rowCount ?? 0;
    return purged.rowCount ?? 0;
  });
  return outcome;
}

/** Calls `batch` until it deletes fewer than a full batch, at most `maxBatches` times; the total. */
async function inBatches(settings: RetentionSettings, batch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (let run = 0; run < settings.maxBatches; run += 1) {
    const deleted = await batch();
    total += deleted;
    if (deleted < settings.batchSize) break;
  }
  return total;
}

/**
 * graphile-worker's own API (`complete_jobs` deletes jobs), not its private tables; as the
 * worker's login, like graphile-worker itself. A failed job's `updated_at` is its last attempt.
 */
async function deleteFailedJobs(pool: pg.Pool, settings: RetentionSettings): Promise<number> {
  const { rows } = await pool.query<{ deleted: number }>(
    `select count(*)::int as deleted from graphile_worker.complete_jobs(array(
       select id from graphile_worker.jobs
        where attempts >= max_attempts and locked_at is null and updated_at < now() - make_interval(days => $1::int)
        order by id limit $2::int))`,
    [settings.failedJobsDays, settings.batchSize],
  );
  return rows[0]!.deleted;
}

/**
 * The original and variants of a purged version, unless another version in the organisation has
 * the same content (they share the objects). Under the upload's content lock, so an upload of
 * the same bytes cannot commit a reference to the original between the check and the delete.
 */
async function deleteUnsharedObjects(platform: Retaining, version: PurgedVersion, outcome: RetentionOutcome): Promise<void> {
  await withClaims(platform.pool, WORKER, async (client) => {
    await lockContent(client, version.original_key);
    const shared = await client.query(
      'select 1 from imgplane.asset_versions where organization_id = $1 and content_hash = $2::char(64) limit 1',
      [version.organization_id, version.content_hash],
    );
    if ((shared.rowCount ?? 0) > 0) return;
    for (const key of [version.original_key, ...version.variant_keys]) {
      try {
        await platform.storage.delete(key);
        outcome.objects += 1;
      } catch {
        outcome.objectFailures += 1;
      }
    }
  });
}

export function dataRetentionTask(platform: Retaining, settings: RetentionSettings = DEFAULT_RETENTION): Task {
  return async (_payload, helpers) => {
    const outcome = await runDataRetention(platform, settings);
    helpers.logger.info(
      `data retention: ${outcome.events} events, ${outcome.auditLogs} audit rows, ${outcome.usageRows} usage rows, ` +
        `${outcome.failedJobs} failed jobs, ${outcome.assetVersions} deleted asset versions and ${outcome.objects} objects removed` +
        (outcome.objectFailures > 0 ? `; ${outcome.objectFailures} objects could not be deleted` : ''),
    );
  };
}
