/**
 * `outbox_dispatch`: delivers committed `imgplane.events` to every consumer, at least once.
 *
 * Events are claimed in batches with `for update skip locked` and leased (available_at pushed past
 * the time a batch can take) in a short transaction, so no transaction stays open while consumers
 * make network calls, and a dispatcher that dies mid-batch leaves its events to be claimed again
 * when the lease ends. Each event goes to every
 * consumer; a failure of any of them counts an attempt, records the error and retries the event
 * (for all consumers, which are idempotent) after an exponential backoff, while the batch goes on.
 *
 * The job is enqueued by the database when events commit (db/functions/900_outbox_dispatch.sql),
 * by a cron sweep every minute, and by itself for the next due retry.
 */
import type { Task } from 'graphile-worker';
import type pg from 'pg';
import { WORKER, withClaims } from '../../server/request-role.ts';
import type { EventConsumer, OutboxEvent } from '../consumers/types.ts';

export const OUTBOX_DISPATCH_TASK = 'outbox_dispatch';
/**
 * How every producer adds this job, the database trigger included: one key, so a burst of events,
 * the sweep and a retry share one pending job; one queue, so dispatchers run one at a time. That
 * keeps rescheduling sound: a run's next due time is never a lease another run still holds, and
 * the only pending job it can find is one added since it started, due now.
 */
export const OUTBOX_DISPATCH_JOB = Object.freeze({ queueName: 'outbox_dispatch', jobKey: 'outbox_dispatch' });

export interface DispatchLimits {
  batchSize: number;
  /** Bound on one run; a run that reaches it schedules the next at once. */
  maxBatches: number;
  /** How long a claimed batch is reserved; must exceed what delivering a batch can take. */
  leaseSeconds: number;
}

export const DEFAULT_DISPATCH_LIMITS: Readonly<DispatchLimits> = Object.freeze({
  batchSize: 50,
  maxBatches: 20,
  // 50 events x a 5 s webhook timeout, with room to spare
  leaseSeconds: 600,
});

export interface DispatchResult {
  delivered: number;
  failed: number;
  /** When the next run should start: now if the run hit its bound, the next retry, or never. */
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
  update imgplane.events e
     set available_at = now() + make_interval(secs => $2)
    from (select id from imgplane.events
           where delivered_at is null and available_at <= now()
           order by available_at, id
           limit $1
           for update skip locked) due
   where e.id = due.id
  returning e.id, e.organization_id, e.tenant_id, e.event_type, e.aggregate_type, e.aggregate_id,
            e.payload, e.created_at, e.attempts`;

// `delivered_at is null`: if a lease ran out and another dispatcher delivered too, the first
// delivery time and its attempt count stand.
const MARK_DELIVERED = `
  update imgplane.events set delivered_at = now(), attempts = attempts + 1
   where id = any($1::bigint[]) and delivered_at is null`;

const MARK_FAILED = `
  update imgplane.events e
     set attempts = e.attempts + 1, last_error = f.error, available_at = now() + make_interval(secs => f.delay)
    from unnest($1::bigint[], $2::text[], $3::float8[]) as f(id, error, delay)
   where e.id = f.id and e.delivered_at is null`;

const NEXT_DUE = 'select min(available_at) as next from imgplane.events where delivered_at is null';

/** Delivers due events until none is left or the run's bound is reached. */
export async function dispatchOutbox(
  pool: pg.Pool,
  consumers: readonly EventConsumer[],
  limits: DispatchLimits = DEFAULT_DISPATCH_LIMITS,
): Promise<DispatchResult> {
  let delivered = 0;
  let failed = 0;
  for (let batch = 0; batch < limits.maxBatches; batch++) {
    const events = await claimBatch(pool, limits);
    const outcomes: Outcome[] = [];
    for (const event of events) outcomes.push(await deliver(event, consumers));
    await recordOutcomes(pool, outcomes);
    delivered += outcomes.filter((outcome) => outcome.error === null).length;
    failed += outcomes.filter((outcome) => outcome.error !== null).length;
    if (events.length < limits.batchSize) return { delivered, failed, nextRunAt: await nextDue(pool) };
  }
  return { delivered, failed, nextRunAt: new Date() };
}

export function outboxDispatchTask(pool: pg.Pool, consumers: readonly EventConsumer[]): Task {
  return async (_payload, helpers) => {
    const result = await dispatchOutbox(pool, consumers);
    if (result.failed > 0) helpers.logger.warn(`outbox: ${result.failed} event(s) failed and will be retried`);
    if (result.nextRunAt === null) return;
    // Our own job is locked while it runs, so this adds a new one. preserve_run_at: a job the
    // database trigger added meanwhile (due now) must not be pushed back to our later retry time.
    await helpers.addJob(OUTBOX_DISPATCH_TASK, {}, { ...OUTBOX_DISPATCH_JOB, jobKeyMode: 'preserve_run_at', runAt: result.nextRunAt });
  };
}

async function claimBatch(pool: pg.Pool, limits: DispatchLimits): Promise<OutboxEvent[]> {
  const rows = await withClaims(pool, WORKER, async (client) => {
    const result = await client.query<EventRow>(CLAIM_BATCH, [limits.batchSize, limits.leaseSeconds]);
    return result.rows;
  });
  // UPDATE ... RETURNING has no order; consumers (webhook receivers) expect creation order.
  return rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)).map(toEvent);
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

async function recordOutcomes(pool: pg.Pool, outcomes: readonly Outcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  const delivered = outcomes.filter((outcome) => outcome.error === null);
  const failed = outcomes.filter((outcome) => outcome.error !== null);
  await withClaims(pool, WORKER, async (client) => {
    if (delivered.length > 0) await client.query(MARK_DELIVERED, [delivered.map((outcome) => outcome.id)]);
    if (failed.length > 0) {
      await client.query(MARK_FAILED, [
        failed.map((outcome) => outcome.id),
        failed.map((outcome) => outcome.error),
        failed.map((outcome) => retryDelaySeconds(outcome.attempt)),
      ]);
    }
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
