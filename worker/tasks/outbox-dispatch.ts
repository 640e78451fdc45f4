/**
 * `outbox_dispatch`: delivers committed `imgplane.events` to every consumer, at least once.
 *
 * Each batch is one transaction: claim due events with `for update skip locked` (parallel runs
 * never share an event), hand each to every consumer, record the outcomes. A failure of any
 * consumer counts an attempt, records the error and retries the event (for all consumers, which
 * are idempotent) after an exponential backoff, while the batch goes on. If the run dies mid-batch
 * the transaction rolls back and the whole batch is delivered again. Batches are small because
 * their transaction stays open while consumers make network calls.
 *
 * The job is enqueued by the database when events commit (db/functions/900_outbox_dispatch.sql),
 * by a cron sweep every minute, and by itself for the first retry that falls due.
 */
import type { Task } from 'graphile-worker';
import type pg from 'pg';
import { WORKER, withClaims } from '../../platform/request-context.ts';
import type { EventConsumer, OutboxEvent } from '../consumers/types.ts';

export const OUTBOX_DISPATCH_TASK = 'outbox_dispatch';
/** The job key the database trigger uses too: a burst of events, the sweep and retries share one job. */
export const OUTBOX_DISPATCH_JOB_KEY = 'outbox_dispatch';

export interface DispatchLimits {
  batchSize: number;
  /** Bound on one run; a run that reaches it schedules the next at once. */
  maxBatches: number;
}

export const DEFAULT_DISPATCH_LIMITS: Readonly<DispatchLimits> = Object.freeze({
  // at most 20 x the 5 s webhook timeout with a transaction open
  batchSize: 20,
  maxBatches: 50,
});

export interface DispatchResult {
  delivered: number;
  failed: number;
  /** When the next run should start: now if this run hit its bound, else the first pending retry, else never. */
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

const CLAIM_BATCH = `
  select id, organization_id, tenant_id, event_type, aggregate_type, aggregate_id, payload, created_at, attempts
    from imgplane.events
   where delivered_at is null and available_at <= now()
   order by id
   limit $1
   for update skip locked`;

const MARK_DELIVERED = 'update imgplane.events set delivered_at = clock_timestamp(), attempts = attempts + 1 where id = any($1::bigint[])';

const MARK_FAILED = `
  update imgplane.events e
     set attempts = e.attempts + 1, last_error = f.error, available_at = clock_timestamp() + make_interval(secs => f.delay)
    from unnest($1::bigint[], $2::text[], $3::float8[]) as f(id, error, delay)
   where e.id = f.id`;

// Only future times: an event due now is either claimed by a parallel run (which reschedules
// for its own failures) or newly committed (its trigger has added a job).
const FIRST_RETRY = `
  select min(available_at) as next from imgplane.events where delivered_at is null and available_at > clock_timestamp()`;

/** Delivers due events until none is left or the run's bound is reached. */
export async function dispatchOutbox(
  pool: pg.Pool,
  consumers: readonly EventConsumer[],
  limits: DispatchLimits = DEFAULT_DISPATCH_LIMITS,
): Promise<DispatchResult> {
  let delivered = 0;
  let failed = 0;
  for (let batch = 0; batch < limits.maxBatches; batch++) {
    const outcomes = await withClaims(pool, WORKER, async (client) => {
      const claimed = await client.query<EventRow>(CLAIM_BATCH, [limits.batchSize]);
      const results: Outcome[] = [];
      for (const row of claimed.rows) results.push(await deliver(toEvent(row), consumers));
      await recordOutcomes(client, results);
      return results;
    });
    const failures = outcomes.filter((outcome) => outcome.error !== null).length;
    delivered += outcomes.length - failures;
    failed += failures;
    if (outcomes.length < limits.batchSize) return { delivered, failed, nextRunAt: await firstRetry(pool) };
  }
  return { delivered, failed, nextRunAt: new Date() };
}

export function outboxDispatchTask(pool: pg.Pool, consumers: readonly EventConsumer[]): Task {
  return async (_payload, helpers) => {
    const result = await dispatchOutbox(pool, consumers);
    if (result.failed > 0) helpers.logger.warn(`outbox: ${result.failed} event(s) failed and will be retried`);
    if (result.nextRunAt === null) return;
    // Our own job is locked while it runs, so this adds a new one. preserve_run_at: a job the
    // trigger added meanwhile (due now) must not be pushed back to the retry time.
    await helpers.addJob(OUTBOX_DISPATCH_TASK, {}, {
      jobKey: OUTBOX_DISPATCH_JOB_KEY,
      jobKeyMode: 'preserve_run_at',
      runAt: result.nextRunAt,
    });
  };
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

async function recordOutcomes(client: pg.PoolClient, outcomes: readonly Outcome[]): Promise<void> {
  const delivered = outcomes.filter((outcome) => outcome.error === null);
  const failed = outcomes.filter((outcome) => outcome.error !== null);
  if (delivered.length > 0) await client.query(MARK_DELIVERED, [delivered.map((outcome) => outcome.id)]);
  if (failed.length > 0) {
    await client.query(MARK_FAILED, [
      failed.map((outcome) => outcome.id),
      failed.map((outcome) => outcome.error),
      failed.map((outcome) => retryDelaySeconds(outcome.attempt)),
    ]);
  }
}

async function firstRetry(pool: pg.Pool): Promise<Date | null> {
  return withClaims(pool, WORKER, async (client) => {
    const result = await client.query<{ next: Date | null }>(FIRST_RETRY);
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
