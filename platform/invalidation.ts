/**
 * Cross-instance cache invalidation. Each process caches asset, space (policy + presets) and key
 * lookups in memory; a change made through another process reaches this one as a NOTIFY on
 * `imgplane_invalidate`, sent by the worker's outbox consumer (worker/consumers/invalidation.ts)
 * for every committed change. Without it, another instance would keep serving a deleted asset or
 * a revoked key until its cache TTL ran out.
 *
 * The listener holds a dedicated connection (LISTEN does not survive being returned to a pool) and
 * reconnects with backoff when it drops. Notifications sent while it was down are lost, so after a
 * reconnect it drops the asset, space and key caches wholesale.
 */
import pg from 'pg';
import type { ApiKeyAuthenticator } from './keys/api-key-authenticator.ts';
import type { DeliveryCatalog } from './delivery/catalog.ts';
import type { SigningService } from './keys/signing-keys.ts';

export const INVALIDATION_CHANNEL = 'imgplane_invalidate';

export type InvalidationMessage =
  /** An asset changed or was deleted: forget its cached versions. */
  | { kind: 'asset'; id: string }
  /** A preset or policy changed somewhere: forget every cached space context. */
  | { kind: 'space' }
  /** An API key or signing key changed: forget cached authentications and verification keys. */
  | { kind: 'keys' };

/** The caches an invalidation reaches; a Platform is one. */
export interface InvalidationTargets {
  pool: pg.Pool;
  catalog: Pick<DeliveryCatalog, 'forgetAsset' | 'forgetAllAssets' | 'forgetSpaces'>;
  auth: Pick<ApiKeyAuthenticator, 'forgetAll'>;
  signing: Pick<SigningService, 'forgetKeys'>;
}

export interface InvalidationListener {
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Shown in pg_stat_activity, to tell the server's listener from the worker's. */
  applicationName?: string;
  /** First reconnect delay; it doubles per failed attempt up to `maxRetryMs`. */
  initialRetryMs?: number;
  maxRetryMs?: number;
}

/** The message a NOTIFY payload carries, or undefined for anything malformed (ignored, never fatal). */
export function parseInvalidationMessage(payload: string | undefined): InvalidationMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload ?? '');
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { kind, id } = value as { kind?: unknown; id?: unknown };
  if (kind === 'asset') return typeof id === 'string' && id !== '' ? { kind, id } : undefined;
  if (kind === 'space' || kind === 'keys') return { kind };
  return undefined;
}

export function applyInvalidation(targets: InvalidationTargets, message: InvalidationMessage): void {
  switch (message.kind) {
    case 'asset':
      targets.catalog.forgetAsset(message.id);
      return;
    case 'space':
      targets.catalog.forgetSpaces();
      return;
    case 'keys':
      targets.auth.forgetAll();
      targets.signing.forgetKeys();
      return;
  }
}

/**
 * Starts listening; resolves once the first LISTEN is in place (so a change committed after this
 * resolves is never missed while the connection holds). Connection settings are the pool's.
 */
export async function listenForInvalidations(
  targets: InvalidationTargets,
  options: ListenOptions = {},
): Promise<InvalidationListener> {
  const initialRetryMs = options.initialRetryMs ?? 100;
  const maxRetryMs = options.maxRetryMs ?? 10_000;
  let closed = false;
  let client: pg.Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = initialRetryMs;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ ...targets.pool.options, application_name: options.applicationName ?? 'imgplane-invalidation' });
    next.on('notification', (notification) => {
      if (notification.channel !== INVALIDATION_CHANNEL) return;
      const message = parseInvalidationMessage(notification.payload);
      if (message) applyInvalidation(targets, message);
    });
    // Registered before connect(): a failed connect also emits 'error', which must not crash the process.
    next.on('error', () => dropped(next));
    next.on('end', () => dropped(next));
    try {
      await next.connect();
      await next.query(`listen ${INVALIDATION_CHANNEL}`);
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
          // Whatever was announced while disconnected is gone: forget what can be forgotten wholesale.
          targets.catalog.forgetAllAssets();
          applyInvalidation(targets, { kind: 'space' });
          applyInvalidation(targets, { kind: 'keys' });
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
