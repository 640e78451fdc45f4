/**
 * The invalidation API (POST /v1/assets/{id}/purge, GraphQL purgeAsset / purgeSpace): drops an
 * asset's (or a space's) variants from every cache layer — storage too when asked (they are
 * re-rendered on demand), then Redis, then the memory cache of every instance (NOTIFY) — and has
 * the CDNs purged through the outbox. The SQL function records the audit row and the
 * `asset.purged` / `space.purged` event that drives the CDN purge; it also decides who may purge.
 */
import type pg from 'pg';
import type { MemoryVariantCache } from '../../core/cache/memory.ts';
import type { SharedVariantCache } from '../../core/cache/types.ts';
import { notFound } from '../../core/errors.ts';
import { inTransaction } from '../../core/pg-transaction.ts';
import type { ObjectStore } from '../../core/storage/types.ts';
import { variantCacheKey } from '../delivery/cache-key.ts';
import { INVALIDATION_CHANNEL } from '../invalidation.ts';
import { requireScope } from '../keys/api-key-authenticator.ts';
import { withClaims, type Claims } from '../request-context.ts';

export interface PurgeOptions {
  /** Also delete the rendered variants from storage and the registry. */
  includeStorage: boolean;
}

export interface PurgeOutcome {
  /** Registered variants whose cached copies were dropped. */
  variants: number;
  /** Stored variants deleted (0 unless includeStorage). */
  storageDeleted: number;
  /** False when Redis could not be reached (its copies expire with REDIS_CACHE_TTL_SECONDS). */
  sharedCacheCleared: boolean;
  /** CDN purges run from the outbox, at least once, shortly after. */
  cdn: 'queued';
}

interface RegisteredVariant {
  id: string;
  organization_id: string;
  variant_key: string;
  storage_key: string;
}

/** Keys per NOTIFY: 101-character cache keys in JSON stay well below PostgreSQL's 8000-byte payload. */
const KEYS_PER_NOTIFY = 60;

export interface CachePurgeDeps {
  pool: pg.Pool;
  storage: ObjectStore;
  memory: MemoryVariantCache;
  shared: SharedVariantCache | undefined;
}

export class CachePurge {
  constructor(private readonly deps: CachePurgeDeps) {}

  purgeAsset(claims: Claims, assetId: string, options: PurgeOptions): Promise<PurgeOutcome> {
    return this.purge(claims, 'asset', assetId, options);
  }

  purgeSpace(claims: Claims, spaceId: string, options: PurgeOptions): Promise<PurgeOutcome> {
    return this.purge(claims, 'space', spaceId, options);
  }

  private async purge(claims: Claims, kind: 'asset' | 'space', id: string, options: PurgeOptions): Promise<PurgeOutcome> {
    requireScope(claims, 'image:write');
    const variants = await withClaims(this.deps.pool, claims, async (client) => {
      const recorded = await client.query<{ ok: boolean }>(`select imgplane.purge_${kind}($1, $2) as ok`, [id, options.includeStorage]);
      if (recorded.rows[0]?.ok !== true) return undefined;
      const registered = await client.query<RegisteredVariant>(
        `select id, organization_id, variant_key, storage_key from imgplane.derived_assets where ${kind === 'asset' ? 'asset_id' : 'space_id'} = $1`,
        [id],
      );
      return registered.rows;
    });
    if (variants === undefined) throw notFound(`no ${kind} ${id}`);
    // The caches hold variants under organisation-scoped keys (platform/delivery/cache-key.ts).
    const keys = [...new Set(variants.map((variant) => variantCacheKey(variant.organization_id, variant.variant_key.trim())))];
    // Bottom layer first, so an upper layer is never refilled from a lower one being purged.
    const storageDeleted = options.includeStorage ? await this.deleteStored(claims, variants) : 0;
    const sharedCacheCleared = this.deps.shared ? await this.deps.shared.delete(keys) : true;
    for (const key of keys) this.deps.memory.delete(key);
    await this.announce(keys);
    return { variants: keys.length, storageDeleted, sharedCacheCleared, cdn: 'queued' };
  }

  /** Deletes the stored bytes, then their registry rows (a missing object only re-renders). */
  private async deleteStored(claims: Claims, variants: readonly RegisteredVariant[]): Promise<number> {
    const deleted: string[] = [];
    for (const variant of variants) {
      await this.deps.storage.delete(variant.storage_key);
      deleted.push(variant.id);
    }
    await withClaims(this.deps.pool, claims, (client) =>
      client.query('delete from imgplane.derived_assets where id = any($1::uuid[])', [deleted]),
    );
    return deleted.length;
  }

  /** Every instance drops the keys from its memory cache when this commits. */
  private async announce(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const client = await this.deps.pool.connect();
    try {
      await inTransaction(client, async () => {
        for (let index = 0; index < keys.length; index += KEYS_PER_NOTIFY) {
          const message = JSON.stringify({ kind: 'variants', keys: keys.slice(index, index + KEYS_PER_NOTIFY) });
          await client.query('select pg_notify($1, $2)', [INVALIDATION_CHANNEL, message]);
        }
      });
    } finally {
      client.release();
    }
  }
}
