/**
 * Synthetic data of issue 17's shape, loaded by generate_series in the server (no rows cross the
 * wire). At scale 1: 100 organisations (2 tenants of 5 spaces each: 1,000 spaces), 250 assets
 * a space (250k), 4 variants an asset (1M), 5,000 days of usage a space (5M daily rows and their
 * monthly rollup), 400k events and 400k audit rows. The scale multiplies organisations (hence all
 * the rest) and the event/audit counts; per-space shapes stay the same, so plans at a small scale
 * read the same indexes with fewer rows.
 *
 * Ids are md5-derived UUIDs of an ordinal, so queries can name a row without looking it up:
 * `syntheticId('asset', n)` in TypeScript is `md5('asset' || n)::uuid` here.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

export interface DataShape {
  organizations: number;
  tenantsPerOrganization: number;
  spacesPerTenant: number;
  assetsPerSpace: number;
  variantsPerAsset: number;
  usageDaysPerSpace: number;
  events: number;
  auditRows: number;
}

export function shapeAt(scale: number): DataShape {
  return {
    organizations: Math.max(1, Math.round(100 * scale)),
    tenantsPerOrganization: 2,
    spacesPerTenant: 5,
    assetsPerSpace: 250,
    variantsPerAsset: 4,
    usageDaysPerSpace: 5_000,
    events: Math.max(1_000, Math.round(400_000 * scale)),
    auditRows: Math.max(1_000, Math.round(400_000 * scale)),
  };
}

export function spacesOf(shape: DataShape): number {
  return shape.organizations * shape.tenantsPerOrganization * shape.spacesPerTenant;
}

export function assetsOf(shape: DataShape): number {
  return spacesOf(shape) * shape.assetsPerSpace;
}

/** The UUID the loader gives row `n` of `kind` (organization, tenant, space, asset, api_key). */
export function syntheticId(kind: string, n: number): string {
  const hex = createHash('md5').update(`${kind}${n}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Variant `k` of asset `n`: its key, as the loader wrote it. */
export function syntheticVariantKey(asset: number, k: number): string {
  return createHash('sha256').update(`variant${asset}:${k}`).digest('hex');
}

/** The secret of organisation `n`'s API key (`authenticate_api_key` checks its hash). */
export function syntheticApiKeySecret(organization: number): string {
  return `imgp_live_benchkey${organization}_${'s'.repeat(43)}`;
}

/**
 * Steps of the load, each one statement. Triggers and foreign-key checks are off
 * (session_replication_role = replica, superuser only): audit and outbox rows are generated
 * directly instead of by triggers, and every reference is correct by construction.
 */
function loadSteps(shape: DataShape): Array<{ label: string; sql: string }> {
  const tenants = shape.organizations * shape.tenantsPerOrganization;
  const spaces = spacesOf(shape);
  const assets = assetsOf(shape);
  const spacesPerOrg = shape.tenantsPerOrganization * shape.spacesPerTenant;
  // a space's tenant and organisation, from its ordinal s
  const spaceTenant = `(s / ${shape.spacesPerTenant})`;
  const spaceOrg = `(s / ${spacesPerOrg})`;
  // an asset's space, from its ordinal a (assets interleave spaces, like uploads over time)
  const assetSpace = `(a % ${spaces})`;
  const id = (kind: string, ordinal: string) => `md5('${kind}' || ${ordinal})::uuid`;
  return [
    {
      label: `${shape.organizations} organizations`,
      sql: `insert into imgplane.organizations (id, slug, name)
            select ${id('organization', 'o')}, 'bench-org-' || o, 'Bench org ' || o from generate_series(0, ${shape.organizations - 1}) o`,
    },
    {
      label: `${tenants} tenants`,
      sql: `insert into imgplane.tenants (id, organization_id, slug, name)
            select ${id('tenant', 't')}, ${id('organization', `(t / ${shape.tenantsPerOrganization})`)}, 'tenant-' || t, 'Tenant ' || t
              from generate_series(0, ${tenants - 1}) t`,
    },
    {
      label: `${spaces} spaces`,
      sql: `insert into imgplane.spaces (id, organization_id, tenant_id, slug, name)
            select ${id('space', 's')}, ${id('organization', spaceOrg)}, ${id('tenant', spaceTenant)}, 'space-' || s, 'Space ' || s
              from generate_series(0, ${spaces - 1}) s`,
    },
    {
      label: `${shape.organizations} API keys`,
      sql: `insert into imgplane.api_keys (id, organization_id, key_id, name, secret_hash, scopes)
            select ${id('api_key', 'o')}, ${id('organization', 'o')}, 'benchkey' || o, 'bench',
                   encode(sha256(convert_to('imgp_live_benchkey' || o || '_' || repeat('s', 43), 'UTF8')), 'hex'),
                   array['image:read', 'image:write', 'admin']
              from generate_series(0, ${shape.organizations - 1}) o`,
    },
    {
      label: `${assets} assets (1 in 50 soft-deleted)`,
      sql: `insert into imgplane.assets (id, organization_id, tenant_id, space_id, original_filename, tags, folder, access,
                                         created_at, updated_at, deleted_at)
            select ${id('asset', 'a')}, ${id('organization', `(${assetSpace} / ${spacesPerOrg})`)},
                   ${id('tenant', `(${assetSpace} / ${shape.spacesPerTenant})`)}, ${id('space', assetSpace)},
                   'image-' || a || '.jpg', array['tag-' || (a % 20)], '/folder-' || (a % 10),
                   case when a % 3 = 0 then 'public' else 'private' end,
                   now() - make_interval(mins => ${assets} - a), now(),
                   case when a % 50 = 0 then now() - interval '40 days' end
              from generate_series(0, ${assets - 1}) a`,
    },
    {
      label: `${assets} asset versions`,
      sql: `insert into imgplane.asset_versions (asset_id, version, organization_id, tenant_id, space_id, content_hash,
                                                 storage_provider, storage_key, size_bytes, mime_type, format, width, height)
            select a.id, 1, a.organization_id, a.tenant_id, a.space_id, encode(sha256(convert_to(a.id::text, 'UTF8')), 'hex'),
                   'fs', 'originals/' || a.id, 500000, 'image/jpeg', 'jpeg', 2000, 1500
              from imgplane.assets a`,
    },
    {
      label: `${assets * shape.variantsPerAsset} derived assets`,
      sql: `insert into imgplane.derived_assets (asset_id, version, organization_id, tenant_id, space_id, variant_key,
                                                 operations_canonical, output_format, storage_provider, storage_key, size_bytes,
                                                 content_hash, width, height, access_count, last_accessed_at, cache_tier, created_at)
            select ${id('asset', 'a')}, 1, ${id('organization', `(${assetSpace} / ${spacesPerOrg})`)},
                   ${id('tenant', `(${assetSpace} / ${shape.spacesPerTenant})`)}, ${id('space', assetSpace)},
                   encode(sha256(convert_to('variant' || a || ':' || k, 'UTF8')), 'hex'),
                   'w_' || (k + 1) * 100, 'webp', 'fs', 'variants/' || a || '-' || k, 20000,
                   encode(sha256(convert_to('bytes' || a || ':' || k, 'UTF8')), 'hex'), (k + 1) * 100, (k + 1) * 75,
                   -- one variant in four never served; the others last served up to 120 days ago
                   case when k = 3 then 0 else 1 + (a % 97) end,
                   case when k = 3 then null else now() - make_interval(days => (a + k) % 120) end,
                   case when (a + k) % 10 = 0 then 'cold' when (a + k) % 5 = 0 then 'warm' else 'hot' end,
                   now() - make_interval(days => 1 + (a % 200))
              from generate_series(0, ${assets - 1}) a, generate_series(0, ${shape.variantsPerAsset - 1}) k`,
    },
    {
      // as the worker would have made them month by month (db/functions/076_partitions.sql)
      label: 'monthly partitions of the usage days and audit times',
      sql: `select imgplane.create_month_partitions('imgplane.usage_metrics', current_date - ${shape.usageDaysPerSpace - 1}, current_date),
                   imgplane.create_month_partitions('imgplane.audit_logs', (now() - make_interval(mins => ${shape.auditRows}))::date, current_date)`,
    },
    {
      label: `${spaces * shape.usageDaysPerSpace} usage rows`,
      sql: `insert into imgplane.usage_metrics (day, organization_id, tenant_id, space_id, request_count, bandwidth_bytes,
                                                transform_count, transform_cpu_ms, cache_hit_count)
            select current_date - d, ${id('organization', spaceOrg)}, ${id('tenant', spaceTenant)}, ${id('space', 's')},
                   1000 + d % 7, 50000000, 40, 2000, 950
              from generate_series(0, ${spaces - 1}) s, generate_series(0, ${shape.usageDaysPerSpace - 1}) d`,
    },
    {
      label: 'monthly usage rollup',
      sql: `insert into imgplane.usage_monthly (space_id, month, organization_id, tenant_id, request_count, bandwidth_bytes,
                                                transform_count, transform_cpu_ms, cache_hit_count, upload_count, upload_bytes)
            select space_id, date_trunc('month', day)::date, organization_id, tenant_id, sum(request_count), sum(bandwidth_bytes),
                   sum(transform_count), sum(transform_cpu_ms), sum(cache_hit_count), sum(upload_count), sum(upload_bytes)
              from imgplane.usage_metrics group by 1, 2, 3, 4`,
    },
    {
      label: `${shape.events} events (1 in 400 pending)`,
      sql: `insert into imgplane.events (organization_id, tenant_id, event_type, aggregate_type, aggregate_id, payload,
                                         created_at, available_at, delivered_at, attempts)
            select a.organization_id, a.tenant_id, 'asset.created', 'asset', a.id, jsonb_build_object('id', a.id),
                   now() - make_interval(mins => e), now() - make_interval(mins => e),
                   case when e % 400 <> 0 then now() - make_interval(mins => e) end, 1
              from generate_series(0, ${shape.events - 1}) e
              join imgplane.assets a on a.id = ${id('asset', `(e % ${assets})`)}`,
    },
    {
      label: `${shape.auditRows} audit rows`,
      sql: `insert into imgplane.audit_logs (organization_id, tenant_id, actor_type, actor_id, action, resource_type, resource_id,
                                             new_row, created_at)
            select a.organization_id, a.tenant_id, 'system', 'bench', 'asset.insert', 'asset', a.id,
                   jsonb_build_object('id', a.id, 'folder', a.folder), now() - make_interval(mins => e)
              from generate_series(0, ${shape.auditRows - 1}) e
              join imgplane.assets a on a.id = ${id('asset', `(e % ${assets})`)}`,
    },
  ];
}

/** Loads the shape into an empty, migrated database as a superuser; `log` gets a line per step. */
export async function loadSyntheticData(client: pg.ClientBase, shape: DataShape, log: (line: string) => void): Promise<void> {
  await client.query('set session_replication_role = replica');
  try {
    for (const step of loadSteps(shape)) {
      const started = performance.now();
      await client.query(step.sql);
      log(`loaded ${step.label} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    await client.query('set session_replication_role = origin');
  }
  const started = performance.now();
  // The visibility map (index-only scans) and statistics a database of this age would have.
  await client.query('vacuum (analyze) imgplane.organizations, imgplane.tenants, imgplane.spaces, imgplane.api_keys, imgplane.assets, imgplane.asset_versions, imgplane.derived_assets, imgplane.usage_metrics, imgplane.usage_monthly, imgplane.events, imgplane.audit_logs');
  log(`vacuum analyze in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
