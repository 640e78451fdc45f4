/**
 * Scheduling the outbox dispatcher's job (worker/tasks/outbox-dispatch.ts `scheduleDispatch`): a
 * database of this file's own with no worker running, so queued jobs stay where they are put.
 */
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OUTBOX_DISPATCH_JOB_KEY, scheduleDispatch } from '../../worker/tasks/outbox-dispatch.ts';
import { createIsolatedDatabase, type IsolatedDatabase } from '../support/isolated-database.ts';
import { testPool } from '../support/services.ts';

let database: IsolatedDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createIsolatedDatabase();
  pool = testPool(database.url, 12);
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});
beforeEach(async () => {
  await pool.query('delete from graphile_worker._private_jobs');
});

async function schedule(runAt: Date | null): Promise<void> {
  const client = await pool.connect();
  try {
    await scheduleDispatch(client, runAt);
  } finally {
    client.release();
  }
}

/** The queued dispatcher jobs' run times, in ms from the database's now. */
async function queued(): Promise<number[]> {
  const { rows } = await pool.query<{ in_ms: number }>(
    'select extract(epoch from run_at - now()) * 1000 as in_ms from graphile_worker.jobs where key = $1',
    [OUTBOX_DISPATCH_JOB_KEY],
  );
  return rows.map((row) => Number(row.in_ms));
}

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000);

describe('scheduleDispatch', () => {
  it('queues one job, and keeps it when asked for a later time', async () => {
    await schedule(inSeconds(1));
    await schedule(inSeconds(300));
    const [runIn, ...others] = await queued();
    expect(others).toEqual([]);
    expect(runIn).toBeGreaterThan(0);
    expect(runIn).toBeLessThanOrEqual(1_000);
  });

  it('brings the queued job forward for an earlier time, and to now for a wake-up', async () => {
    await schedule(inSeconds(300));
    await schedule(inSeconds(2));
    expect((await queued())[0]).toBeLessThanOrEqual(2_000);
    await schedule(null);
    expect((await queued())[0]).toBeLessThanOrEqual(0);
  });

  it('ends at the earliest time asked whatever the order of concurrent runs (a stale lease end never wins)', async () => {
    for (let round = 0; round < 10; round += 1) {
      await pool.query('delete from graphile_worker._private_jobs');
      const times = [inSeconds(1), ...Array.from({ length: 9 }, () => inSeconds(300))];
      await Promise.all(times.map((time) => schedule(time)));
      const [runIn, ...others] = await queued();
      expect(others).toEqual([]);
      expect(runIn).toBeLessThanOrEqual(1_000);
    }
  });
});
