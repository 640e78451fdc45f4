/**
 * Jobs of a worker process that died (SIGKILL, OOM, a lost node) go back to the queue within
 * seconds instead of graphile-worker's 4-hour lock expiry.
 *
 * Liveness comes from PostgreSQL itself: each process holds a session advisory lock per
 * graphile-worker pool and worker id (what `locked_by` names) on one dedicated connection. When the process dies its connection
 * closes and the locks go with it. Every process sweeps: for each job locked longer than
 * `minLockAgeSeconds`, it tries its worker's lock; a lock it can take belongs to nobody alive,
 * so that worker's jobs are unlocked (`forceUnlockWorkers`) and run again elsewhere. Tasks are
 * idempotent (content-addressed variants, upserted registry rows), so a rerun duplicates nothing.
 */
import type { WorkerEvents, WorkerUtils } from 'graphile-worker';
import pg from 'pg';

/** First key of the two-key advisory locks: keeps them apart from every other advisory lock. */
export const PRESENCE_LOCK_CLASS = 0x1a9e_0002;

export interface DeadWorkerRecoveryOptions {
  /** Connection settings of the worker's pool (the login role that owns the job queue). */
  pool: pg.Pool;
  events: WorkerEvents;
  utils: Pick<WorkerUtils, 'forceUnlockWorkers'>;
  sweepMs?: number;
  /** A younger lock may belong to a worker that is still taking its presence lock. */
  minLockAgeSeconds?: number;
  log: (message: string) => void;
}

export interface DeadWorkerRecovery {
  close(): Promise<void>;
}

const LOCKED_WORKERS = `
  select distinct locked_by from graphile_worker.jobs
   where locked_by is not null and locked_at < now() - make_interval(secs => $1)`;

export async function startDeadWorkerRecovery(options: DeadWorkerRecoveryOptions): Promise<DeadWorkerRecovery> {
  const { pool, events, utils, log } = options;
  const ours = new Set<string>();
  let closed = false;
  let presence = await connectPresence();

  async function connectPresence(): Promise<pg.Client> {
    // The pid in the name tells an operator (pg_locks ⋈ pg_stat_activity) which process runs a job.
    const client = new pg.Client({ ...pool.options, application_name: `imgplane-worker-presence pid ${process.pid}` });
    client.on('error', () => {
      // Our locks are gone with the connection: take them again on a new one.
      if (closed) return;
      log('worker presence connection lost; reconnecting');
      void reconnect();
    });
    await client.connect();
    for (const id of ours) await holdLock(client, id);
    return client;
  }

  async function reconnect(): Promise<void> {
    while (!closed) {
      try {
        presence = await connectPresence();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  // Jobs are locked by the pool's id (0.18) or, without a pool, a worker's: hold a lock for each.
  // A connection runs one query at a time (pg 9 refuses a second), so the locks queue up: a pool
  // and its first worker are created in the same tick.
  let locking = Promise.resolve();
  const own = (id: string) => {
    ours.add(id);
    locking = locking.then(() => holdLock(presence, id)).catch(() => {}); // a lost connection re-locks on reconnect
  };
  const onPool = ({ workerPool }: { workerPool: { id: string } }) => own(workerPool.id);
  const onWorker = ({ worker }: { worker: { workerId: string } }) => own(worker.workerId);
  events.on('pool:create', onPool);
  events.on('worker:create', onWorker);

  async function sweep(): Promise<void> {
    const { rows } = await pool.query<{ locked_by: string }>(LOCKED_WORKERS, [options.minLockAgeSeconds ?? 5]);
    const candidates = rows.map((row) => row.locked_by).filter((id) => !ours.has(id));
    if (candidates.length === 0) return;
    const dead: string[] = [];
    const client = await pool.connect();
    try {
      for (const id of candidates) {
        const { rows: tried } = await client.query<{ free: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as free', [PRESENCE_LOCK_CLASS, id]);
        if (!tried[0]?.free) continue;
        await client.query('select pg_advisory_unlock($1, hashtext($2))', [PRESENCE_LOCK_CLASS, id]);
        dead.push(id);
      }
    } finally {
      client.release();
    }
    if (dead.length === 0) return;
    await utils.forceUnlockWorkers(dead);
    log(`returned the jobs of ${dead.length} dead worker(s) to the queue: ${dead.join(', ')}`);
  }

  const timer = setInterval(() => {
    sweep().catch(() => {}); // the database is away: the next sweep tries again
  }, options.sweepMs ?? 2_000);
  timer.unref();

  return {
    async close() {
      closed = true;
      clearInterval(timer);
      events.off('pool:create', onPool);
      events.off('worker:create', onWorker);
      await presence.end().catch(() => {});
    },
  };
}

/** Try, never wait: a (32-bit hash) collision with a live worker must not stall this connection. */
async function holdLock(client: pg.Client, workerId: string): Promise<void> {
  await client.query('select pg_try_advisory_lock($1, hashtext($2))', [PRESENCE_LOCK_CLASS, workerId]);
}
