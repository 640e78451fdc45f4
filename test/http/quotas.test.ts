/**
 * Quotas per organisation: variants rendered per day (a miss over it is 429, hits still served),
 * transform CPU time per day, storage bytes and asset count (an upload over either is 413 naming
 * the quota, nothing stored), and storage_bytes in the daily usage view.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile, upload } from '../support/http.ts';
import { createOrganization, setPolicy, type TestOrganization } from '../support/tenancy.ts';
import { expectError, imageUrl, uploadAsset, type ImageAddress } from './delivery-fixtures.ts';

let server: TestApp;
beforeAll(async () => {
  server = await startTestApp();
});
afterAll(() => server?.close());

async function organizationWith(policy: Record<string, number>): Promise<TestOrganization> {
  const org = await createOrganization(server.platform, 'quota');
  for (const [key, value] of Object.entries(policy)) await setPolicy(server.platform, { organizationId: org.id }, key, value);
  server.platform.limits.forgetPolicies();
  return org;
}

async function assetCount(organizationId: string): Promise<number> {
  const { rows } = await server.db.query<{ count: string }>('select count(*) from imgplane.assets where organization_id = $1', [organizationId]);
  return Number(rows[0]!.count);
}

describe('daily render quotas', () => {
  it('answers a miss over quota_variants_per_day with 429 naming the quota, and still serves hits', async () => {
    const org = await organizationWith({ quota_variants_per_day: 2 });
    const tenant = org.tenants[0];
    const asset = await uploadAsset(server.baseUrl, tenant, await corpusFile('320x240.jpg'), { access: 'public' });
    const picture: ImageAddress = { baseUrl: server.baseUrl, org, tenant, asset };
    expect((await fetch(imageUrl(picture, 'w_60.jpg'))).status).toBe(200);
    expect((await fetch(imageUrl(picture, 'w_61.jpg'))).status).toBe(200);
    const refused = await fetch(imageUrl(picture, 'w_62.jpg'));
    const body = await expectError(refused, 429);
    expect(body.message).toContain('quota_variants_per_day');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(86_400);
    for (const layer of ['hit-storage', 'hit-memory']) {
      const hit = await fetch(imageUrl(picture, 'w_60.jpg'));
      expect(hit.status).toBe(200);
      expect(hit.headers.get('x-cache')).toBe(layer);
    }
  });

  it('refuses new renders once the day\'s transform CPU seconds are used up', async () => {
    const org = await organizationWith({ quota_transform_cpu_seconds_per_day: 0 });
    const tenant = org.tenants[0];
    const asset = await uploadAsset(server.baseUrl, tenant, await corpusFile('320x240.jpg'), { access: 'public' });
    const body = await expectError(await fetch(imageUrl({ baseUrl: server.baseUrl, org, tenant, asset }, 'w_70.jpg')), 429);
    expect(body.message).toContain('quota_transform_cpu_seconds_per_day');
  });
});

describe('storage quotas', () => {
  it('answers an upload over quota_storage_bytes with 413 naming the quota, storing nothing', async () => {
    const first = await corpusFile('320x240.jpg');
    const org = await organizationWith({ quota_storage_bytes: first.length + 100 });
    const tenant = org.tenants[0];
    await uploadAsset(server.baseUrl, tenant, first);
    const body = await expectError(await upload(server.baseUrl, tenant.key, tenant.spaceId, await corpusFile('flowers.jpeg')), 413);
    expect(body.message).toContain('quota_storage_bytes');
    expect(body.detail).toMatchObject({ limit: 'quota_storage_bytes', quota: first.length + 100, used: first.length });
    expect(await assetCount(org.id)).toBe(1);
  });

  it('answers an upload over quota_assets with 413 naming the quota, storing nothing', async () => {
    const org = await organizationWith({ quota_assets: 1 });
    const tenant = org.tenants[1];
    await uploadAsset(server.baseUrl, tenant, await corpusFile('320x240.jpg'));
    const body = await expectError(await upload(server.baseUrl, tenant.key, tenant.spaceId, await corpusFile('flowers.jpeg')), 413);
    expect(body.message).toContain('quota_assets');
    expect(await assetCount(org.id)).toBe(1);
  });

  it('reports storage_bytes and asset_count per space and day in usage_daily_by_space', async () => {
    const org = await organizationWith({});
    const tenant = org.tenants[0];
    const bytes = await corpusFile('320x240.jpg');
    const asset = await uploadAsset(server.baseUrl, tenant, bytes, { access: 'public' });
    expect((await fetch(imageUrl({ baseUrl: server.baseUrl, org, tenant, asset }, 'w_80.jpg'))).status).toBe(200);
    await server.platform.variants.settled();
    await server.platform.usage.flush();
    const { rows } = await server.db.query<{ storage_bytes: string; asset_count: string; variant_bytes: string }>(
      `select u.storage_bytes, u.asset_count,
              (select coalesce(sum(size_bytes), 0) from imgplane.derived_assets d where d.space_id = u.space_id) as variant_bytes
         from imgplane.usage_daily_by_space u where u.space_id = $1`,
      [tenant.spaceId],
    );
    expect(rows).toHaveLength(1);
    expect(Number(rows[0]!.variant_bytes)).toBeGreaterThan(0);
    expect(Number(rows[0]!.storage_bytes)).toBe(bytes.length + Number(rows[0]!.variant_bytes));
    expect(Number(rows[0]!.asset_count)).toBe(1);
  });
});
