/**
 * Rows of every kind the GraphQL API exposes, for one tenant: an uploaded asset (with its version,
 * audit row and a generated variant), a space policy, a tenant preset, a usage row and a tenant
 * signing key. Built through the real HTTP API and platform services, as production would.
 */
import { expect } from 'vitest';
import { withClaims } from '../../platform/request-context.ts';
import type { TestApp } from '../support/app.ts';
import { corpusFile, upload } from '../support/http.ts';
import { PLATFORM_ADMIN, setPolicy, type TestOrganization, type TestTenant } from '../support/tenancy.ts';

export interface TenantContent {
  organizationId: string;
  tenantId: string;
  spaceId: string;
  assetId: string;
  derivedAssetId: string;
  policyId: string;
  presetId: string;
  apiKeyId: string;
  signingKid: string;
  signingKeyId: string;
  auditLogId: string;
  /** A private delivery path of the asset, for signUrl. */
  privatePath: string;
}

/**
 * Variants are content-addressed: the same picture with the same ops in another space is served
 * from the cache without registering a row there. Each call asks for a width of its own.
 */
let nextVariantWidth = 32;

async function firstId(server: TestApp, sql: string, parameters: unknown[]): Promise<string> {
  // The test pool logs in as the superuser: no role, no RLS, the ground truth.
  const { rows } = await server.db.query<{ id: string }>(sql, parameters);
  expect(rows[0], sql).toBeDefined();
  return String(rows[0]!.id);
}

export async function seedTenantContent(server: TestApp, org: TestOrganization, tenant: TestTenant): Promise<TenantContent> {
  const uploaded = await upload(server.baseUrl, tenant.key, tenant.spaceId, await corpusFile('320x240.jpg'), {
    filename: '320x240.jpg',
    access: 'public',
  });
  expect(uploaded.status).toBe(201);
  const asset = (await uploaded.json()) as { id: string; urls: { original: string } };
  const ops = `w_${nextVariantWidth++}`;
  const variant = await fetch(asset.urls.original.replace(/original\.jpg$/, `${ops}.jpg`));
  expect(variant.status).toBe(200);
  await server.platform.variants.settled(); // the variant's registry row is written after the response

  await setPolicy(server.platform, { organizationId: org.id, tenantId: tenant.id, spaceId: tenant.spaceId }, 'max_width', 2000);
  await withClaims(server.platform.pool, PLATFORM_ADMIN, async (client) => {
    await client.query(
      `insert into imgplane.presets (organization_id, tenant_id, name, operations) values ($1, $2, 'card', '{"w": 64}')`,
      [org.id, tenant.id],
    );
    await client.query('select imgplane.record_usage($1::jsonb)', [
      JSON.stringify([{ day: '2025-01-15', organization_id: org.id, tenant_id: tenant.id, space_id: tenant.spaceId, request_count: 3 }]),
    ]);
  });
  const rotated = await server.platform.signing.rotate(await server.platform.auth.authenticate(org.adminKey), org.id, tenant.id);

  const byTenant = [org.id, tenant.id];
  return {
    organizationId: org.id,
    tenantId: tenant.id,
    spaceId: tenant.spaceId,
    assetId: asset.id,
    derivedAssetId: await firstId(server, 'select id from imgplane.derived_assets where asset_id = $1', [asset.id]),
    policyId: await firstId(server, 'select id from imgplane.policies where space_id = $1', [tenant.spaceId]),
    presetId: await firstId(server, 'select id from imgplane.presets where organization_id = $1 and tenant_id = $2', byTenant),
    apiKeyId: await firstId(server, 'select id from imgplane.api_keys where organization_id = $1 and tenant_id = $2', byTenant),
    signingKid: rotated.kid,
    signingKeyId: await firstId(server, 'select id from imgplane.signing_keys where kid = $1', [rotated.kid]),
    auditLogId: await firstId(server, 'select id from imgplane.audit_logs where organization_id = $1 and tenant_id = $2', byTenant),
    privatePath: `/v1/priv/${org.slug}/${tenant.slug}/${tenant.spaceSlug}/img/${asset.id}/v1/${ops}.jpg`,
  };
}

/**
 * Every row of an organization (or, given a tenant, the rows of that tenant plus the
 * organization-level ones) in every imgplane table, as the superuser sees them. Two equal
 * snapshots mean nothing was written in between. api_keys.last_used_at is bookkeeping of reads.
 */
export async function snapshotRows(server: TestApp, organizationId: string, tenantId: string | null = null): Promise<string> {
  const parameters = tenantId === null ? [organizationId] : [organizationId, tenantId];
  const ofOrg = `organization_id = $1${tenantId === null ? '' : ' and (tenant_id = $2 or tenant_id is null)'}`;
  const queries: Record<string, string> = {
    organizations: 'select to_jsonb(t) as row from imgplane.organizations t where id = $1',
    tenants: `select to_jsonb(t) as row from imgplane.tenants t where organization_id = $1${tenantId === null ? '' : ' and id = $2'}`,
    api_keys: `select to_jsonb(t) - 'last_used_at' as row from imgplane.api_keys t where ${ofOrg}`,
  };
  for (const table of ['spaces', 'policies', 'presets', 'assets', 'asset_versions', 'derived_assets', 'signing_keys', 'usage_metrics', 'audit_logs', 'events']) {
    queries[table] = `select to_jsonb(t) as row from imgplane.${table} t where ${ofOrg}`;
  }
  const snapshot: Record<string, string[]> = {};
  for (const [table, sql] of Object.entries(queries)) {
    const { rows } = await server.db.query<{ row: unknown }>(sql, table === 'organizations' ? [organizationId] : parameters);
    snapshot[table] = rows.map((row) => JSON.stringify(row.row)).sort();
  }
  return JSON.stringify(snapshot);
}
