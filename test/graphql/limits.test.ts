/**
 * Limits tenants cannot lift, through the control plane: policy ceilings (a tenant admin raised
 * its own pixel, timeout, size and effort limits and a 280-megapixel upload went through), the
 * operator-only platform catalog, suspension (a tenant admin re-activated the space its
 * organisation had suspended; uploads into it were accepted) and scope drift (an admin-only key
 * changed asset tags through GraphQL while HTTP refused it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../platform/keys/api-keys.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile, upload } from '../support/http.ts';
import { createOrganization, PLATFORM_ADMIN, type TestOrganization } from '../support/tenancy.ts';
import { graphql, graphqlData } from './client.ts';

let server: TestApp;
let org: TestOrganization;
/** A tenant-scoped key with `admin` (the tenant's administrator). */
let tenantAdmin: string;
let operator: string;

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'limits');
  const key = (scopes: ('admin' | 'image:read' | 'image:write')[], organizationId: string | null, tenantId: string | null) =>
    issueApiKey(server.platform.pool, PLATFORM_ADMIN, { organizationId, tenantId, name: 'limits test', scopes }).then((issued) => issued.secret);
  tenantAdmin = await key(['admin', 'image:read', 'image:write'], org.id, org.tenants[0].id);
  operator = await key(['admin'], null, null);
});
afterAll(() => server?.close());

const SET_POLICY = 'mutation($scope: PolicyScopeInput!, $key: String!, $value: JSON) { setPolicy(input: { scope: $scope, key: $key, value: $value }) { policy { rowId } } }';

async function setPolicyAs(apiKey: string, scope: Record<string, string>, key: string, value: unknown) {
  return graphql(server.baseUrl, SET_POLICY, { scope, key, value }, apiKey);
}

describe('policy ceilings', () => {
  it.each([
    ['max_input_pixels', 1_000_000_000, 50_000_000],
    ['transform_timeout_ms', 300_000, 15_000],
    ['max_width', 16_384, 4096],
    ['avif_effort', 9, 2],
  ])('refuses a tenant admin raising %s to %s on its space, naming the ceiling %s', async (key, value, ceiling) => {
    const response = await setPolicyAs(tenantAdmin, { spaceId: org.tenants[0].spaceId }, key, value);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'bad_request', detail: { key, ceiling } });
    expect(response.errors?.[0]?.message).toContain(key);
    expect(response.errors?.[0]?.message).toContain(String(ceiling));
  });

  it('lets the tenant admin tighten a limit, and keeps the 280-megapixel upload out either way', async () => {
    expect((await setPolicyAs(tenantAdmin, { spaceId: org.tenants[0].spaceId }, 'max_width', 2000)).errors).toBeUndefined();
    const giant = await upload(server.baseUrl, tenantAdmin, org.tenants[0].spaceId, await corpusFile('giant-image.jpg'));
    expect([413, 422]).toContain(giant.status);
  });

  it('refuses an organisation admin going above the platform maximum', async () => {
    const response = await setPolicyAs(org.adminKey, { organizationId: org.id }, 'max_input_pixels', 1_000_000_000);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'bad_request', detail: { key: 'max_input_pixels', ceiling: 100_000_000 } });
  });

  it('lets an organisation admin set ceilings its tenants then cannot pass', async () => {
    expect((await setPolicyAs(org.adminKey, { organizationId: org.id }, 'max_frames', 10)).errors).toBeUndefined();
    const response = await setPolicyAs(tenantAdmin, { tenantId: org.tenants[0].id }, 'max_frames', 11);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'bad_request', detail: { key: 'max_frames', ceiling: 10 } });
    const policy = await graphqlData<{ spaceByRowId: { effectivePolicy: Record<string, unknown> } }>(
      server.baseUrl,
      'query($id: UUID!) { spaceByRowId(rowId: $id) { effectivePolicy } }',
      { id: org.tenants[1].spaceId },
      org.adminKey,
    );
    expect(policy.spaceByRowId.effectivePolicy.max_frames).toBe(10);
  });

  it('takes rates and quotas at organisation scope only', async () => {
    const response = await setPolicyAs(org.adminKey, { tenantId: org.tenants[0].id }, 'quota_storage_bytes', 1000);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'bad_request', detail: { key: 'quota_storage_bytes' } });
  });
});

describe('platform defaults and maxima', () => {
  const CATALOG = '{ allPolicyKeys(first: 100, condition: { key: "max_width" }) { nodes { key kind builtinMaximum platformMaximum } } }';
  const SET_MAXIMUM = 'mutation($max: JSON) { updatePolicyKeyByKey(input: { key: "quality_jpeg", policyKeyPatch: { platformDefault: $max } }) { policyKey { key platformDefault } } }';

  it('are visible to the platform operator', async () => {
    const data = await graphqlData<{ allPolicyKeys: { nodes: unknown[] } }>(server.baseUrl, CATALOG, {}, operator);
    expect(data.allPolicyKeys.nodes).toEqual([{ key: 'max_width', kind: 'limit', builtinMaximum: 8192, platformMaximum: null }]);
  });

  it('are changed by the platform operator only', async () => {
    for (const key of [org.adminKey, tenantAdmin]) {
      expect((await graphql(server.baseUrl, CATALOG, {}, key)).errors?.[0]?.extensions?.code).toBe('forbidden');
      expect((await graphql(server.baseUrl, SET_MAXIMUM, { max: 80 }, key)).errors?.[0]?.extensions?.code).toBe('forbidden');
    }
    // the built-in value, then back to none: other test files share this catalog
    const changed = await graphqlData<{ updatePolicyKeyByKey: { policyKey: unknown } }>(server.baseUrl, SET_MAXIMUM, { max: 80 }, operator);
    expect(changed.updatePolicyKeyByKey.policyKey).toEqual({ key: 'quality_jpeg', platformDefault: 80 });
    await graphqlData(server.baseUrl, SET_MAXIMUM, { max: null }, operator);
  });
});

const SET_SPACE_STATUS = 'mutation($id: UUID!, $status: String!) { updateSpaceByRowId(input: { rowId: $id, spacePatch: { status: $status } }) { space { status } } }';

describe('suspension', () => {
  it('lets only the scope that suspended a space (or one above) reactivate it', async () => {
    const fresh = await createOrganization(server.platform, 'suspend');
    const tenantKey = await issueApiKey(server.platform.pool, PLATFORM_ADMIN, {
      organizationId: fresh.id,
      tenantId: fresh.tenants[0].id,
      name: 'tenant admin',
      scopes: ['admin', 'image:read', 'image:write'],
    }).then((issued) => issued.secret);
    const space = fresh.tenants[0].spaceId;
    const uploaded = await upload(server.baseUrl, tenantKey, space, await corpusFile('320x240.jpg'), { access: 'public' });
    const asset = (await uploaded.json()) as { id: string };
    const image = `${server.baseUrl}/v1/pub/${fresh.slug}/${fresh.tenants[0].slug}/${fresh.tenants[0].spaceSlug}/img/${asset.id}/v1/w_50.jpg`;
    expect((await fetch(image)).status).toBe(200);

    await graphqlData(server.baseUrl, SET_SPACE_STATUS, { id: space, status: 'suspended' }, fresh.adminKey);
    const reactivation = await graphql(server.baseUrl, SET_SPACE_STATUS, { id: space, status: 'active' }, tenantKey);
    expect(reactivation.errors?.[0]?.extensions?.code).toBe('forbidden');
    expect(reactivation.errors?.[0]?.message).toContain('suspended by its organization');

    // a suspended space takes no uploads and no writes, and delivers nothing
    const refusedUpload = await upload(server.baseUrl, tenantKey, space, await corpusFile('flowers.jpeg'));
    expect(refusedUpload.status).toBe(403);
    expect(((await refusedUpload.json()) as { message: string }).message).toContain('suspended');
    const tagEdit = await graphql(
      server.baseUrl,
      'mutation($id: UUID!) { updateAssetByRowId(input: { rowId: $id, assetPatch: { tags: ["x"] } }) { asset { tags } } }',
      { id: asset.id },
      tenantKey,
    );
    expect(tagEdit.errors).toBeDefined();
    const delivered = await fetch(image);
    expect(delivered.status).toBe(404);

    await graphqlData(server.baseUrl, SET_SPACE_STATUS, { id: space, status: 'active' }, fresh.adminKey);
    expect((await fetch(image)).status).toBe(200);
  });

  it('lets a tenant admin suspend and reactivate its own space, but never its tenant', async () => {
    const space = org.tenants[0].spaceId;
    expect((await graphql(server.baseUrl, SET_SPACE_STATUS, { id: space, status: 'suspended' }, tenantAdmin)).errors).toBeUndefined();
    expect((await graphql(server.baseUrl, SET_SPACE_STATUS, { id: space, status: 'active' }, tenantAdmin)).errors).toBeUndefined();
    const tenantStatus = await graphql(
      server.baseUrl,
      'mutation($id: UUID!) { updateTenantByRowId(input: { rowId: $id, tenantPatch: { status: "suspended" } }) { tenant { status } } }',
      { id: org.tenants[0].id },
      tenantAdmin,
    );
    expect(tenantStatus.errors).toBeDefined();
  });

  it('refuses an organisation admin changing its own organisation status', async () => {
    const response = await graphql(
      server.baseUrl,
      'mutation($id: UUID!) { updateOrganizationByRowId(input: { rowId: $id, organizationPatch: { status: "active" } }) { organization { status } } }',
      { id: org.id },
      org.adminKey,
    );
    expect(response.errors).toBeDefined();
  });
});

describe('scope drift', () => {
  it('refuses asset writes to a key without image:write on GraphQL, as over HTTP', async () => {
    const adminOnly = await issueApiKey(server.platform.pool, PLATFORM_ADMIN, { organizationId: org.id, tenantId: null, name: 'admin only', scopes: ['admin'] });
    const uploaded = await upload(server.baseUrl, org.adminKey, org.tenants[1].spaceId, await corpusFile('320x240.jpg'));
    const asset = (await uploaded.json()) as { id: string };
    const http = await fetch(`${server.baseUrl}/v1/assets/${asset.id}`, { method: 'DELETE', headers: { 'x-api-key': adminOnly.secret } });
    expect(http.status).toBe(403);
    const UPDATE = 'mutation($id: UUID!) { updateAssetByRowId(input: { rowId: $id, assetPatch: { tags: ["drift"], access: "private" } }) { asset { tags } } }';
    const viaGraphql = await graphql(server.baseUrl, UPDATE, { id: asset.id }, adminOnly.secret);
    expect(['forbidden', 'not_found']).toContain(viaGraphql.errors?.[0]?.extensions?.code);
    const unchanged = await graphqlData<{ assetByRowId: { tags: string[]; access: string } }>(
      server.baseUrl,
      'query($id: UUID!) { assetByRowId(rowId: $id) { tags access } }',
      { id: asset.id },
      org.adminKey,
    );
    expect(unchanged.assetByRowId.tags).not.toContain('drift');
    // the same write with image:write goes through
    expect((await graphql(server.baseUrl, UPDATE, { id: asset.id }, org.adminKey)).errors).toBeUndefined();
  });
});
