/**
 * `outbox_dispatch`: delivers committed `imgplane.events` to every consumer, at least once.
 *
 * No transaction stays open while consumers make network calls. Each batch is three steps:
 *   1. claim (one short transaction): take due events with `for update skip locked`, count the
 *      attempt and move `available_at` to the end of a lease, so parallel runs never share an
 *      event and an event whose run died is claimed again once the lease is over;
 *   2. hand each event to every consumer, outside any transaction;
 *   3. record the outcomes (one short transaction): delivered, or retried after an exponential
 *      backoff, or dead-lettered (`dead_at`) once it has had `maxAttempts` attempts.
 * A failure of any consumer retries the event for all consumers, which are idempotent.
 *
 * The job is enqueued by worker/outbox-wakeup.ts when the database NOTIFYs that events committed,
 * by a cron sweep every minute, and by itself for the first retry that falls due.
 */
import type { Task } from 'graphile-worker';
import type pg from 'pg';
import { inTransaction } from '../../core/pg-transaction.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { WORKER, withClaims } from '../../platform/request-context.ts';
import type { EventConsumer, OutboxEvent } from '../consumers/types.ts';

export const OUTBOX_DISPATCH_TASK = 'outbox_dispatch';
/** The job key of every dispatcher job: a burst of wake-ups, the sweep and retries share one pending job. */
export const OUTBOX_DISPATCH_JOB_KEY = 'outbox_dispatch';

export interface DispatchLimits {
  batchSize: number;
  /** Bound on one run; a run that reaches it schedules the next at once. */
  maxBatches: number;
  /** Attempts after which an event is dead-lettered instead of retried (25: about 14 hours of backoff). */
  maxAttempts: number;
  /**
   * How long a claim lasts: an event whose dispatcher died is claimed again after this. Longer
   * than a batch takes (batchSize x consumers x their timeouts), or a slow batch is delivered twice.
   */
  leaseSeconds: number;
}

export const DEFAULT_DISPATCH_LIMITS: Readonly<DispatchLimits> = Object.freeze({
  batchSize: 20,
  maxBatches: 50,
  maxAttempts: 25,
  leaseSeconds: 300,
});

export interface DispatchResult {
  delivered: number;
  /** Failed attempts, dead-lettered ones included. */
  failed: number;
  /** Events given up on in this run (now `dead_at` set). */
  deadLettered: number;
  /** When the next run should start: now if this run hit its bound, else when the next event falls due, else never. */
  nextRunAt: Date | null;
}

const RETRY_BASE_SECONDS = 1;
const RETRY_MAX_SECONDS = 3_600;
const MAX_ERROR_LENGTH = 2_000;

/** Exponential backoff after the nth failed attempt (1-based): 1 s, 2 s, 4 s, ... at most an hour. */
export function retryDelaySeconds(attempt: number): number {
  return Math.min(RETRY_BASE_SECONDS * 2 ** Math.max(attempt - 1, 0), RETRY_MAX_SECONDS);
}

interface EventRow {
  id: string;
  organization_id: string | null;
  tenant_id: string | null;
  event_type: string;
  aggregate_type: string;
  aggregate_id: string | null;
  payload: Record<string, unknown>;
  created_at: Date;
  attempts: number;
}

interface Outcome {
  id: string;
  /** Null when every consumer accepted the event. */
  error: string | null;
  attempt: number;
}

// Undelivered, live, and first of its aggregate: per-aggregate order, so consumers (the broker
// sink) never see one asset's (preset's, key's...) events reordered. A later event waits while an
// earlier one is pending, and falls due when that one is delivered or dead-lettered.
const PENDING_IN_ORDER = `delivered_at is null and dead_at is null
             and not exists (select from imgplane.events earlier
                              where earlier.aggregate_type = pending.aggregate_type and earlier.aggregate_id = pending.aggregate_id
                                and earlier.id < pending.id and earlier.delivered_at is null and earlier.dead_at is null)`;

// `attempts - 1`: consumers see the attempts made before this one (worker/consumers/types.ts).
// Exported so bench/db/hot-queries.ts explains this very statement.
export const CLAIM_BATCH = `
  update imgplane.events e
     set attempts = e.attempts + 1, available_at = clock_timestamp() + make_interval(secs => $2::int)
    from (select id from imgplane.events pending
           where ${PENDING_IN_ORDER} and available_at <= now()
           order by available_at, id
           limit $1
           for update skip locked) claimed
   where e.id = claimed.id
  returning e.id, e.organization_id, e.tenant_id, e.event_type, e.aggregate_type, e.aggregate_id, e.payload,
            e.created_at, e.attempts - 1 as attempts`;

const MARK_DELIVERED = 'update imgplane.events set delivered_at = clock_timestamp() where id = any($1::bigint[])';

// attempts was counted by the claim.
const MARK_FAILED = `
  update imgplane.events e
     set last_error = f.error,
         available_at = clock_timestamp() + make_interval(secs => f.delay),
         dead_at = case when e.attempts >= $4::int then clock_timestamp() end
    from unnest($1::bigint[], $2::text[], $3::float8[]) as f(id, error, delay)
   where e.id = f.id
  returning e.dead_at is not null as dead`;

// When the next claim can take something: the earliest retry, or a time already past for an event
// that fell due during the run (its retry time came, or the earlier event of its aggregate was
// delivered). Events claimed by a parallel run count at their lease end, so should that run die,
// they are taken again then.
const NEXT_DUE = `
  select min(available_at) as next from imgplane.events pending
   where ${PENDING_IN_ORDER}`;

/** Delivers due events until none is left or the run's bound is reached. */
export async function dispatchOutbox(
  pool: pg.Pool,
  consumers: readonly EventConsumer[],
  overrides: Partial<DispatchLimits> = {},
): Promise<DispatchResult> {
  const limits: DispatchLimits = { ...DEFAULT_DISPATCH_LIMITS, ...overrides };
  const result: DispatchResult = { delivered: 0, failed: 0, deadLettered: 0, nextRunAt: null };
  for (let batch = 0; batch < limits.maxBatches; batch++) {
    const claimed = await withClaims(pool, WORKER, (client) =>
      client.query<EventRow>(CLAIM_BATCH, [limits.batchSize, limits.leaseSeconds]),
    );
    // Claim until nothing is due: delivering a batch can make the next event of each aggregate due.
    if (claimed.rows.length === 0) return { ...result, nextRunAt: await nextDue(pool) };
    // claim order: oldest first (RETURNING has no order of its own)
    const events = claimed.rows.map(toEvent).sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
    const outcomes: Outcome[] = [];
    for (const event of events) outcomes.push(await deliver(event, consumers));
    const dead = await recordOutcomes(pool, outcomes, limits.maxAttempts);
    const failures = outcomes.filter((outcome) => outcome.error !== null).length;
    result.delivered += outcomes.length - failures;
    result.failed += failures;
    result.deadLettered += dead;
  }
  return { ...result, nextRunAt: new Date() };
}

export function outboxDispatchTask(
  pool: pg.Pool,
  consumers: readonly EventConsumer[],
  metrics?: Pick<Metrics, 'outboxEvents'>,
): Task {
  return async (_payload, helpers) => {
    const result = await dispatchOutbox(pool, consumers);
    metrics?.outboxEvents.inc({ outcome: 'delivered' }, result.delivered);
    metrics?.outboxEvents.inc({ outcome: 'failed' }, result.failed);
    if (result.failed > result.deadLettered) {
      helpers.logger.warn(`outbox: ${result.failed - result.deadLettered} event(s) failed and will be retried`);
    }
    if (result.deadLettered > 0) {
      helpers.logger.error(`outbox: ${result.deadLettered} event(s) dead-lettered after their last attempt (imgplane.events.dead_at)`);
    }
    if (result.nextRunAt !== null) await helpers.withPgClient((client) => scheduleDispatch(client, result.nextRunAt));
  };
}

/** Any constant: the advisory lock under which the dispatcher's job is (re)scheduled. */
const SCHEDULE_LOCK = 0x6f757462; // "outb"

/**
 * Queues the dispatcher's job at `runAt` (null: now), or keeps the one already queued if it is
 * due earlier: a wake-up (due now) is never pushed back to a retry time, nor a retry to a later
 * one. Wake-ups and runs can race (a wake-up while a run is going starts a second run, and each
 * run computes its own next time, one of them perhaps an event's lease end, seen while the other
 * run held it), so reading the queued job and replacing it happen as one step under an advisory
 * lock; read-then-replace from two runs once pushed a retry due in 1 s back to the minute sweep.
 * The minute sweep itself (a cron job on the same key) is graphile-worker's and not serialised.
 */
export async function scheduleDispatch(client: pg.ClientBase, runAt: Date | null): Promise<void> {
  await inTransaction(client, async () => {
    await client.query('select pg_advisory_xact_lock($1)', [SCHEDULE_LOCK]);
    await client.query(
      `select graphile_worker.add_job($1, '{}'::json,
         run_at => least(coalesce($2::timestamptz, now()),
                         (select min(run_at) from graphile_worker.jobs where key = $3 and locked_at is null)),
         job_key => $3, job_key_mode => 'replace')`,
      [OUTBOX_DISPATCH_TASK, runAt, OUTBOX_DISPATCH_JOB_KEY],
    );
  });
}

async function deliver(event: OutboxEvent, consumers: readonly EventConsumer[]): Promise<Outcome> {
  const errors: string[] = [];
  for (const consumer of consumers) {
    try {
      await consumer.handle(event);
    } catch (error) {
      errors.push(`${consumer.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return {
    id: event.id,
    error: errors.length === 0 ? null : errors.join('; ').slice(0, MAX_ERROR_LENGTH),
    attempt: event.attempts + 1,
  };
}

/** Records a batch's outcomes in one short transaction; answers how many events were dead-lettered. */
async function recordOutcomes(pool: pg.Pool, outcomes: readonly Outcome[], maxAttempts: number): Promise<number> {
  const delivered = outcomes.filter((outcome) => outcome.error === null);
  const failed = outcomes.filter((outcome) => outcome.error !== null);
  if (outcomes.length === 0) return 0;
  return withClaims(pool, WORKER, async (client) => {
    if (delivered.length > 0) await client.query(MARK_DELIVERED, [delivered.map((outcome) => outcome.id)]);
    if (failed.length === 0) return 0;
    const marked = await client.query<{ dead: boolean }>(MARK_FAILED, [
      failed.map((outcome) => outcome.id),
      failed.map((outcome) => outcome.error),
      failed.map((outcome) => retryDelaySeconds(outcome.attempt)),
      maxAttempts,
    ]);
    return marked.rows.filter((row) => row.dead).length;
  });
}

async function nextDue(pool: pg.Pool): Promise<Date | null> {
  return withClaims(pool, WORKER, async (client) => {
    const result = await client.query<{ next: Date | null }>(NEXT_DUE);
    return result.rows[0]?.next ?? null;
  });
}

function toEvent(row: EventRow): OutboxEvent {
  return {
    id: row.id,
    organizationId: row.organization_id,
    tenantId: row.tenant_id,
    type: row.event_type,
    aggregateType: row.aggregate_type,
    aggregateId: row.aggregate_id,
    payload: row.payload,
    createdAt: row.created_at,
    attempts: row.attempts,
  };
}
