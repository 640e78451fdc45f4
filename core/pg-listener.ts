/**
 * LISTEN on one PostgreSQL channel over a dedicated connection (LISTEN does not survive being
 * returned to a pool), reconnecting with exponential backoff when the connection drops.
 * Notifications sent while it was down are lost: `onReconnect` lets the caller catch up.
 */
import pg from 'pg';

export interface ChannelListenerOptions {
  /** Connection settings (a pool's `options` will do). */
  connection: pg.ClientConfig;
  channel: string;
  /** Shown in pg_stat_activity. */
  applicationName: string;
  onNotification(payload: string | undefined): void;
  /** Called after every reconnect (not the first connect): whatever was sent meanwhile is gone. */
  onReconnect?(): void;
  /** First reconnect delay; it doubles per failed attempt up to `maxRetryMs`. */
  initialRetryMs?: number;
  maxRetryMs?: number;
}

export interface ChannelListener {
  close(): Promise<void>;
}

/** Resolves once the first LISTEN is in place: a notification committed after that is never missed while the connection holds. */
export async function listenOnChannel(options: ChannelListenerOptions): Promise<ChannelListener> {
  const initialRetryMs = options.initialRetryMs ?? 100;
  const maxRetryMs = options.maxRetryMs ?? 10_000;
  let closed = false;
  let client: pg.Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = initialRetryMs;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ ...options.connection, application_name: options.applicationName });
    next.on('notification', (notification) => {
      if (notification.channel === options.channel) options.onNotification(notification.payload);
    });
    // Registered before connect(): a failed connect also emits 'error', which must not crash the process.
    next.on('error', () => dropped(next));
    next.on('end', () => dropped(next));
    try {
      await next.connect();
      await next.query(`listen ${pg.escapeIdentifier(options.channel)}`);
    } catch (error) {
      void next.end().catch(() => {});
      throw error;
    }
    if (closed) {
      void next.end().catch(() => {});
      return;
    }
    client = next;
  };

  const dropped = (lost: pg.Client): void => {
    if (closed || client !== lost) return;
    client = undefined;
    void lost.end().catch(() => {});
    scheduleReconnect();
  };

  const scheduleReconnect = (): void => {
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect().then(
        () => {
          retryMs = initialRetryMs;
          options.onReconnect?.();
        },
        () => {
          retryMs = Math.min(retryMs * 2, maxRetryMs);
          if (!closed) scheduleReconnect();
        },
      );
    }, retryMs);
    retryTimer.unref();
  };

  await connect();
  return {
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
  };
}
