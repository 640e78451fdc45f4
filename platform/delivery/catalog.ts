/**
 * What delivery needs to know about a space and an asset version, cached in-process so a
 * memory-cache hit makes no database round trip. Entries live `ttlMs` at most; changes made
 * through this process (upload, delete, policy and preset edits) evict them at once, and changes
 * from other processes arrive through the outbox's NOTIFY (see platform/invalidation.ts).
 */
import { LRUCache } from 'lru-cache';
import { ONE_LOAD_PER_KEY } from '../../core/cache/one-load-per-key.ts';
import type pg from 'pg';
import type { DeliveryPath } from '../../core/delivery-path.ts';
import { notFound } from '../../core/errors.ts';
import { resolvePolicy, type EffectivePolicy } from '../../core/policy.ts';
import { withClaims, type Claims } from '../request-context.ts';
import { ResolutionCache } from './resolutions.ts';

export interface SpaceContext {
  organizationId: string;
  tenantId: string;
  spaceId: string;
  policy: EffectivePolicy;
  /** Preset name → JSON operations, nearest scope already winning. */
  presets: Readonly<Record<string, unknown>>;
}

export interface AssetVersion {
  assetId: string;
  organizationId: string;
  tenantId: string;
  spaceId: string;
  access: 'public' | 'private';
  version: number;
  contentHash: string;
  storageKey: string;
  format: string;
  mimeType: string;
  hasAlpha: boolean;
  frames: number;
  width: number;
  height: number;
  sizeBytes: number;
}

interface ContextRow {
  organization_id: string;
  tenant_id: string;
  space_id: string;
  policy: Record<string, unknown> | null;
  presets: Record<string, unknown> | null;
}

interface AssetRow {
  id: string;
  organization_id: string;
  tenant_id: string;
  space_id: string;
  access: 'public' | 'private';
  version: number;
  content_hash: string;
  storage_key: string;
  format: string;
  mime_type: string;
  has_alpha: boolean;
  frames: number;
  width: number;
  height: number;
  size_bytes: string;
}

/** A cached "does not exist", so a flood of requests for a missing asset stays off the database. */
const MISSING = Symbol('missing');

const spaceKey = (org: string, tenant: string, space: string) => `${org}/${tenant}/${space}`;
const assetKey = (claims: Claims, assetId: string, version: DeliveryPath['version']) =>
  `${assetId}@${version}|${claims.role}|${claims.organizationId ?? ''}|${claims.tenantId ?? ''}`;

interface SpaceAddress {
  org: string;
  tenant: string;
  space: string;
}

interface AssetAddress {
  claims: Claims;
  assetId: string;
  version: DeliveryPath['version'];
}

export class DeliveryCatalog {
  private readonly spaces: LRUCache<string, SpaceContext | typeof MISSING, SpaceAddress>;
  private readonly assets: LRUCache<string, AssetVersion | typeof MISSING, AssetAddress>;
  /** What image URLs resolved to, built on this catalog's entries and forgotten with them. */
  readonly resolutions = new ResolutionCache();

  constructor(
    private readonly pool: pg.Pool,
    ttlMs: number,
  ) {
    const ttl = Math.max(ttlMs, 1);
    this.spaces = new LRUCache({
      max: 10_000,
      ttl,
      ...ONE_LOAD_PER_KEY,
      fetchMethod: (_key, _stale, { context }) => this.loadSpace(context.org, context.tenant, context.space),
    });
    this.assets = new LRUCache({
      max: 100_000,
      ttl,
      ...ONE_LOAD_PER_KEY,
      fetchMethod: (_key, _stale, { context }) => this.loadAsset(context.claims, context.assetId, context.version),
    });
  }

  async space(org: string, tenant: string, space: string): Promise<SpaceContext> {
    const key = spaceKey(org, tenant, space);
    const context = await this.spaces.fetch(key, { context: { org, tenant, space } });
    if (context === undefined || context === MISSING) throw notFound(`no space ${key}`);
    return context;
  }

  /**
   * The asset version as `claims` may see it (RLS decides: anonymous sees public assets only).
   * `latest` is the current version; it is cached like a numbered one and forgotten with it when
   * the asset changes (forgetAsset), so a new version is served by this origin at once.
   */
  async assetVersion(claims: Claims, assetId: string, version: DeliveryPath['version']): Promise<AssetVersion> {
    const key = assetKey(claims, assetId, version);
    const asset = await this.assets.fetch(key, { context: { claims, assetId, version } });
    if (asset === undefined || asset === MISSING) throw notFound(`no asset ${assetId} at version ${version}`);
    return asset;
  }

  /**
   * How long both entries a resolution was built from (the space, the asset version as `claims`
   * see it) stay cached: a resolution must not outlive them. 0 when either is gone.
   */
  lifetimeLeftMs(path: Pick<DeliveryPath, 'org' | 'tenant' | 'space' | 'assetId' | 'version'>, claims: Claims): number {
    const space = this.spaces.getRemainingTTL(spaceKey(path.org, path.tenant, path.space));
    const asset = this.assets.getRemainingTTL(assetKey(claims, path.assetId, path.version));
    return Math.min(space, asset);
  }

  forgetAsset(assetId: string): void {
    for (const key of this.assets.keys()) if (key.startsWith(assetId)) this.assets.delete(key);
    this.resolutions.forgetAsset(assetId);
  }

  /** After missed invalidations (a dropped LISTEN connection), nothing cached can be trusted. */
  forgetAllAssets(): void {
    this.assets.clear();
    this.resolutions.clear();
  }

  forgetSpaces(): void {
    this.spaces.clear();
    this.resolutions.clear();
  }

  private async loadSpace(org: string, tenant: string, space: string): Promise<SpaceContext | typeof MISSING> {
    const { rows } = await this.pool.query<ContextRow>(
      'select organization_id, tenant_id, space_id, policy, presets from imgplane.delivery_context($1, $2, $3)',
      [org, tenant, space],
    );
    const row = rows[0];
    if (!row) return MISSING;
    return {
      organizationId: row.organization_id,
      tenantId: row.tenant_id,
      spaceId: row.space_id,
      policy: resolvePolicy(row.policy),
      presets: row.presets ?? {},
    };
  }

  private async loadAsset(claims: Claims, assetId: string, version: DeliveryPath['version']): Promise<AssetVersion | typeof MISSING> {
    const rows = await withClaims(this.pool, claims, async (client) => {
      const result = await client.query<AssetRow>(
        `select a.id, a.organization_id, a.tenant_id, a.space_id, a.access, v.version, v.content_hash,
                v.storage_key, v.format, v.mime_type, v.has_alpha, v.frames, v.width, v.height, v.size_bytes
           from imgplane.assets a
           join imgplane.asset_versions v on v.asset_id = a.id
          where a.id = $1 and v.version = coalesce($2::integer, a.current_version) and a.deleted_at is null`,
        [assetId, typeof version === 'number' ? version : null],
      );
      return result.rows;
    });
    const row = rows[0];
    if (!row) return MISSING;
    return {
      assetId: row.id,
      organizationId: row.organization_id,
      tenantId: row.tenant_id,
      spaceId: row.space_id,
      access: row.access,
      version: row.version,
      contentHash: row.content_hash.trim(),
      storageKey: row.storage_key,
      format: row.format,
      mimeType: row.mime_type,
      hasAlpha: row.has_alpha,
      frames: row.frames,
      width: row.width,
      height: row.height,
      sizeBytes: Number(row.size_bytes),
    };
  }
}
