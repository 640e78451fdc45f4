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
import type pg from 'pg';
import { listenOnChannel } from '../core/pg-listener.ts';
import type { MemoryVariantCache } from '../core/cache/memory.ts';
import type { ApiKeyAuthenticator } from './keys/api-key-authenticator.ts';
import type { DeliveryCatalog } from './delivery/catalog.ts';
import type { Limits } from './limits/limits.ts';
import type { SigningService } from './keys/signing-keys.ts';
import type { CorsOrigins } from './cors-origins.ts';

export const INVALIDATION_CHANNEL = 'imgplane_invalidate';

export type InvalidationMessage =
  /** An asset changed or was deleted: forget its cached versions. */
  | { kind: 'asset'; id: string }
  /** A preset or policy changed somewhere: forget every cached space context. */
  | { kind: 'space' }
  /** An API key or signing key changed: forget cached authentications and verification keys. */
  | { kind: 'keys' }
  /** Variants were purged (platform/purge/cache-purge.ts): drop them from the memory cache. */
  | { kind: 'variants'; keys: string[] };

/** The caches an invalidation reaches; a Platform is one. */
export interface InvalidationTargets {
  pool: pg.Pool;
  catalog: Pick<DeliveryCatalog, 'forgetAsset' | 'forgetAllAssets' | 'forgetSpaces'>;
  /** Organisation policies cached by the rate limits and quotas (absent in processes without them). */
  limits?: Pick<Limits, 'forgetPolicies'>;
  /** CORS origin lists of the API (absent in processes that serve no API). */
  cors?: Pick<CorsOrigins, 'forget'>;
  auth: Pick<ApiKeyAuthenticator, 'forgetAll'>;
  signing: Pick<SigningService, 'forgetKeys'>;
  memory: Pick<MemoryVariantCache, 'delete'>;
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
  if (kind === 'variants') {
    const { keys } = value as { keys?: unknown };
    return Array.isArray(keys) && keys.every((key) => typeof key === 'string') ? { kind, keys: keys as string[] } : undefined;
  }
  return undefined;
}

export function applyInvalidation(targets: InvalidationTargets, message: InvalidationMessage): void {
  switch (message.kind) {
    case 'asset':
      targets.catalog.forgetAsset(message.id);
      return;
    case 'space':
      targets.catalog.forgetSpaces();
      targets.limits?.forgetPolicies();
      targets.cors?.forget();
      return;
    case 'keys':
      targets.auth.forgetAll();
      targets.signing.forgetKeys();
      return;
    case 'variants':
      for (const key of message.keys) targets.memory.delete(key);
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
  return listenOnChannel({
    connection: targets.pool.options,
    channel: INVALIDATION_CHANNEL,
    applicationName: options.applicationName ?? 'imgplane-invalidation',
    initialRetryMs: options.initialRetryMs,
    maxRetryMs: options.maxRetryMs,
    onNotification(payload) {
      const message = parseInvalidationMessage(payload);
      if (message) applyInvalidation(targets, message);
    },
    onReconnect() {
      // Whatever was announced while disconnected is gone: forget what can be forgotten wholesale.
      targets.catalog.forgetAllAssets();
      applyInvalidation(targets, { kind: 'space' });
      applyInvalidation(targets, { kind: 'keys' });
    },
  });
}
