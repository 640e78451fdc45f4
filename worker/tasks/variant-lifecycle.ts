/**
 * Storage lifecycle of rendered variants (daily, crontab): variants nobody asked for in a while
 * move to cheaper storage tiers (S3 storage classes; a no-op where the backend has none), and
 * variants never served at all are pruned after a long while (they are re-rendered on demand).
 * Idleness is `last_accessed_at` (kept by platform/delivery/access-recorder.ts), or the creation
 * time of a variant never served.
 */
import type { Task } from 'graphile-worker';
import type { StorageTier } from '../../core/storage/types.ts';
import type { Platform } from '../../platform/platform.ts';
import { WORKER, withClaims } from '../../platform/request-context.ts';

export const VARIANT_LIFECYCLE_TASK = 'variant_lifecycle';

export interface LifecycleSettings {
  /** Idle days after which a hot variant moves to the warm tier. */
  warmAfterDays: number;
  /** Idle days after which a variant moves to the cold tier. */
  coldAfterDays: number;
  /** Days after which a variant that was never served is deleted. */
  pruneUnusedAfterDays: number;
  /** Rows per batch, and batches per run (the next run continues). */
  batchSize: number;
  maxBatches: number;
}

export const DEFAULT_LIFECYCLE: Readonly<LifecycleSettings> = Object.freeze({
  warmAfterDays: 7,
  coldAfterDays: 30,
  pruneUnusedAfterDays: 90,
  batchSize: 200,
  maxBatches: 50,
});

export interface LifecycleOutcome {
  cooled: number;
  warmed: number;
  pruned: number;
  failed: number;
}

type Lifecycle = Pick<Platform, 'pool' | 'storage'>;

interface VariantRow {
  id: string;
  storage_key: string;
}

const TODAY_UTC = "(now() at time zone 'UTC')::date";

export async function runVariantLifecycle(platform: Lifecycle, settings: LifecycleSettings = DEFAULT_LIFECYCLE): Promise<LifecycleOutcome> {
  const outcome: LifecycleOutcome = { cooled: 0, warmed: 0, pruned: 0, failed: 0 };
  // Coldest first, so a variant idle long enough goes straight to cold instead of via warm.
  for (const from of ['hot', 'warm'] as const) {
    outcome.cooled += await moveIdle(platform, settings, from, 'cold', settings.coldAfterDays, outcome);
  }
  outcome.warmed = await moveIdle(platform, settings, 'hot', 'warm', settings.warmAfterDays, outcome);
  outcome.pruned = await pruneUnused(platform, settings, outcome);
  return outcome;
}

// One tier per query, so each batch is a range of derived_assets_lifecycle_idx (cache_tier,
// idle_since) read in order; idle_since is the day of the last delivery (or of creation).
async function moveIdle(
  platform: Lifecycle,
  settings: LifecycleSettings,
  from: StorageTier,
  to: StorageTier,
  idleDays: number,
  outcome: LifecycleOutcome,
): Promise<number> {
  return inBatches(platform, settings, outcome, {
    select: `select id, storage_key from imgplane.derived_assets
              where cache_tier = $1 and idle_since < ${TODAY_UTC} - $2::int
              order by idle_since limit $3::int`,
    params: [from, idleDays],
    handle: (row) => platform.storage.moveToTier(row.storage_key, to),
    commit: (ids) => ({ sql: 'update imgplane.derived_assets set cache_tier = $2 where id = any($1)', params: [ids, to] }),
  });
}

// Reads derived_assets_unserved_idx (created_at) where never_served, in order.
async function pruneUnused(platform: Lifecycle, settings: LifecycleSettings, outcome: LifecycleOutcome): Promise<number> {
  return inBatches(platform, settings, outcome, {
    select: `select id, storage_key from imgplane.derived_assets
              where never_served and created_at < now() - make_interval(days => $1::int)
              order by created_at limit $2::int`,
    params: [settings.pruneUnusedAfterDays],
    handle: (row) => platform.storage.delete(row.storage_key),
    commit: (ids) => ({ sql: 'delete from imgplane.derived_assets where id = any($1)', params: [ids] }),
  });
}

interface BatchPlan {
  select: string;
  params: unknown[];
  /** The storage side of one row; a failure skips the row (counted) and the run goes on. */
  handle: (row: VariantRow) => Promise<void>;
  /** The registry side, for the rows whose storage side succeeded. */
  commit: (ids: string[]) => { sql: string; params: unknown[] };
}

async function inBatches(platform: Lifecycle, settings: LifecycleSettings, outcome: LifecycleOutcome, plan: BatchPlan): Promise<number> {
  let done = 0;
  const failedIds = new Set<string>();
  for (let batch = 0; batch < settings.maxBatches; batch += 1) {
    const { rows } = await withClaims(platform.pool, WORKER, (client) =>
      client.query<VariantRow>(plan.select, [...plan.params, settings.batchSize + failedIds.size]),
    );
    const todo = rows.filter((row) => !failedIds.has(row.id));
    if (todo.length === 0) break;
    const succeeded: string[] = [];
    for (const row of todo) {
      try {
        await plan.handle(row);
        succeeded.push(row.id);
      } catch {
        failedIds.add(row.id);
        outcome.failed += 1;
      }
    }
    if (succeeded.length > 0) {
      const { sql, params } = plan.commit(succeeded);
      await withClaims(platform.pool, WORKER, (client) => client.query(sql, params));
      done += succeeded.length;
    }
  }
  return done;
}

export function variantLifecycleTask(platform: Lifecycle): Task {
  return async (_payload, helpers) => {
    const outcome = await runVariantLifecycle(platform);
    helpers.logger.info(
      `variant lifecycle: ${outcome.cooled} to cold, ${outcome.warmed} to warm, ${outcome.pruned} pruned, ${outcome.failed} failed`,
    );
  };
}
