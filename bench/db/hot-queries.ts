/**
 * The queries every request, flush or worker run makes, as the role and settings the app uses
 * (platform/request-context.ts). SQL the app exports is imported; the rest mirrors the file named
 * beside it (keep the two alike when either changes).
 */
import { FLUSH_ACCESS } from '../../platform/delivery/access-recorder.ts';
import { ANONYMOUS, WORKER, type Claims } from '../../platform/request-context.ts';
import { CLAIM_BATCH } from '../../worker/tasks/outbox-dispatch.ts';
import { DEFAULT_LIFECYCLE } from '../../worker/tasks/variant-lifecycle.ts';
import { spacesOf, syntheticApiKeySecret, syntheticId, syntheticVariantKey, type DataShape } from './synthetic-data.ts';

export interface HotQuery {
  name: string;
  claims: Claims;
  sql: string;
  params: unknown[];
}

/** Tables large enough at scale that a sequential scan of one is a defect. */
export const LARGE_TABLES: ReadonlySet<string> = new Set([
  'assets',
  'asset_versions',
  'derived_assets',
  'usage_metrics',
  'usage_monthly',
  'events',
  'audit_logs',
]);

const FLUSH_BATCH = 200;

export function hotQueries(shape: DataShape): HotQuery[] {
  const spaces = spacesOf(shape);
  // Organisation 0's key: org-wide (no tenant), like the admin key of a customer's back office.
  const tenant: Claims = {
    role: 'imgplane_tenant',
    organizationId: syntheticId('organization', 0),
    tenantId: null,
    apiKeyId: syntheticId('api_key', 0),
    scopes: ['image:read', 'image:write', 'admin'],
  };
  // asset ordinal 3: public (a % 3 = 0), live (a % 50 <> 0), in space 3 of organisation 0
  const publicAsset = 3;
  const assetsToFlush = Array.from({ length: FLUSH_BATCH }, (_, n) => n * 7 + 1);
  const today = new Date().toISOString().slice(0, 10);
  const usageBatch = Array.from({ length: Math.min(FLUSH_BATCH, spaces) }, (_, s) => ({
    day: today,
    organization_id: syntheticId('organization', Math.floor(s / (shape.tenantsPerOrganization * shape.spacesPerTenant))),
    tenant_id: syntheticId('tenant', Math.floor(s / shape.spacesPerTenant)),
    space_id: syntheticId('space', s),
    request_count: 10,
    cache_hit_count: 9,
    bandwidth_bytes: 100_000,
  }));
  return [
    {
      name: 'delivery context (org/tenant/space slugs)',
      claims: ANONYMOUS,
      sql: 'select organization_id, tenant_id, space_id, policy, presets from imgplane.delivery_context($1, $2, $3)',
      params: ['bench-org-0', 'tenant-0', 'space-3'],
    },
    {
      // platform/delivery/catalog.ts loadAsset
      name: 'delivery asset version lookup',
      claims: ANONYMOUS,
      sql: `select a.id, a.organization_id, a.tenant_id, a.space_id, a.access, v.version, v.content_hash,
                   v.storage_key, v.format, v.mime_type, v.has_alpha, v.frames, v.width, v.height, v.size_bytes
              from imgplane.assets a
              join imgplane.asset_versions v on v.asset_id = a.id
             where a.id = $1 and v.version = $2 and a.deleted_at is null`,
      params: [syntheticId('asset', publicAsset), 1],
    },
    {
      // platform/delivery/variants.ts fromRegistry
      name: 'variant registry lookup',
      claims: WORKER,
      sql: 'select storage_key, content_hash, output_format from imgplane.derived_assets where asset_id = $1 and variant_key = $2',
      params: [syntheticId('asset', publicAsset), syntheticVariantKey(publicAsset, 1)],
    },
    {
      name: 'authenticate_api_key',
      claims: ANONYMOUS,
      sql: 'select api_key_id, organization_id, tenant_id, scopes, role from imgplane.authenticate_api_key($1)',
      params: [syntheticApiKeySecret(0)],
    },
    {
      name: 'register_variant (new variant)',
      claims: WORKER,
      sql: 'select 1 from imgplane.register_variant($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)',
      params: [syntheticId('asset', publicAsset), 1, 'f'.repeat(64), 'w_123', 'webp', 'fs', 'variants/bench-new', 1234, 'e'.repeat(64), 123, 92, 15],
    },
    {
      name: `access flush (${FLUSH_BATCH} variants)`,
      claims: WORKER,
      sql: FLUSH_ACCESS,
      params: [
        assetsToFlush.map((a) => syntheticId('asset', a)),
        assetsToFlush.map((a) => syntheticVariantKey(a, a % shape.variantsPerAsset)),
        assetsToFlush.map(() => 3),
      ],
    },
    {
      name: `record_usage (${usageBatch.length} spaces)`,
      claims: WORKER,
      sql: 'select imgplane.record_usage($1::jsonb)',
      params: [JSON.stringify(usageBatch)],
    },
    {
      name: 'outbox claim (50, per-aggregate order)',
      claims: WORKER,
      sql: CLAIM_BATCH,
      params: [50, 60],
    },
    {
      // worker/tasks/variant-lifecycle.ts moveIdle
      name: 'lifecycle batch: hot → warm',
      claims: WORKER,
      sql: `select id, storage_key from imgplane.derived_assets
             where cache_tier = $1 and idle_since < (now() at time zone 'UTC')::date - $2::int
             order by idle_since limit $3::int`,
      params: ['hot', DEFAULT_LIFECYCLE.warmAfterDays, DEFAULT_LIFECYCLE.batchSize],
    },
    {
      // worker/tasks/variant-lifecycle.ts pruneUnused
      name: 'lifecycle batch: prune never served',
      claims: WORKER,
      sql: `select id, storage_key from imgplane.derived_assets
             where never_served and created_at < now() - make_interval(days => $1::int)
             order by created_at limit $2::int`,
      params: [DEFAULT_LIFECYCLE.pruneUnusedAfterDays, DEFAULT_LIFECYCLE.batchSize],
    },
    {
      // platform/assets/asset-service.ts upload dedupe
      name: 'upload dedupe lookup',
      claims: tenant,
      sql: `select a.id from imgplane.asset_versions v
              join imgplane.assets a on a.id = v.asset_id and a.current_version = v.version
             where v.space_id = $1 and v.content_hash = $2::char(64) and a.deleted_at is null
             order by a.created_at limit 1`,
      params: [syntheticId('space', 3), 'a'.repeat(64)],
    },
    {
      // GraphQL allAssets, first page of an organisation's newest assets
      name: 'allAssets-like page (organisation, newest 20)',
      claims: tenant,
      sql: `select id, space_id, folder, tags, access, created_at from imgplane.assets
             where deleted_at is null order by created_at desc limit 20`,
      params: [],
    },
    {
      // allAssets(filter: { folder: { startsWith: "/folder-3" } }), as graphql/starts-with.ts sends it
      name: 'allAssets-like page (organisation, under a folder, newest 20)',
      claims: tenant,
      sql: `select id, space_id, folder, tags, access, created_at from imgplane.assets
             where starts_with(folder, '/folder-3') and deleted_at is null order by created_at desc limit 20`,
      params: [],
    },
    {
      name: 'allAssets-like page (one space, newest 20)',
      claims: tenant,
      sql: `select id, folder, tags, access, created_at from imgplane.assets
             where space_id = $1 and deleted_at is null order by created_at desc limit 20`,
      params: [syntheticId('space', 3)],
    },
    {
      name: 'allAssets totalCount (organisation)',
      claims: tenant,
      sql: 'select count(*) from imgplane.assets where deleted_at is null',
      params: [],
    },
    {
      name: 'monthly usage (organisation, last 12 months)',
      claims: tenant,
      sql: `select * from imgplane.usage_monthly_by_organization
             where organization_id = $1 order by month desc limit 12`,
      params: [syntheticId('organization', 0)],
    },
  ];
}
