/**
 * Turns the database's `imgplane_outbox` notifications (db/functions/900_outbox_dispatch.sql, one per
 * event-writing transaction) into `outbox_dispatch` jobs, coalesced: while one enqueue is in flight,
 * any number of further notifications add just one more after it. The job key dedupes across worker
 * processes; a job that is already pending keeps its run time.
 */
import type pg from 'pg';
import { listenOnChannel, type ChannelListener } from '../core/pg-listener.ts';

export const OUTBOX_CHANNEL = 'imgplane_outbox';

export interface OutboxWakeupOptions {
  pool: pg.Pool;
  /** Enqueues one dispatcher run (keyed, so a pending one is reused). */
  enqueue(): Promise<void>;
  onError(error: unknown): void;
}

/** Coalesces calls into at most one running and one queued `enqueue`. */
export function coalesced(enqueue: () => Promise<void>, onError: (error: unknown) => void): () => void {
  let running = false;
  let again = false;
  const run = (): void => {
    running = true;
    again = false;
    enqueue()
      .catch(onError)
      .finally(() => {
        running = false;
        if (again) run();
      });
  };
  return () => {
    if (running) again = true;
    else run();
  };
}

/** Listens until closed; also wakes the dispatcher once at start and after every reconnect (notifications sent meanwhile are lost). */
export async function listenForOutboxWakeups(options: OutboxWakeupOptions): Promise<ChannelListener> {
  const wake = coalesced(options.enqueue, options.onError);
  const listener = await listenOnChannel({
    connection: options.pool.options,
    channel: OUTBOX_CHANNEL,
    applicationName: 'imgplane-outbox-wakeup',
    onNotification: wake,
    onReconnect: wake,
  });
  wake();
  return listener;
}
