/**
 * Policies over GraphQL: inheritance seen through Space.effectivePolicy (organization, then
 * tenant, then space; nearest wins; unset falls back a scope; a JSON null masks back to the
 * platform default), validation against core/policy.ts with clear errors and nothing written,
 * and delivery obeying a change at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../core/policy.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile, upload } from '../support/http.ts';
import { issueApiKey } from '../../platform/keys/api-keys.ts';
import { createOrganization, PLATFORM_ADMIN, type TestOrganization } from '../support/tenancy.ts';
import { graphql, graphqlData } from './client.ts';

let server: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'pol');
});
afterAll(() => server?.close());

type Scope = { organizationId: string } | { tenantId: string } | { spaceId: string };

const SET = 'mutation($scope: PolicyScopeInput!, $key: String!, $value: JSON) { setPolicy(input: { scope: $scope, key: $key, value: $value }) { policy { key value organizationId tenantId spaceId } } }';
const UNSET = 'mutation($scope: PolicyScopeInput!, $key: String!) { unsetPolicy(input: { scope: $scope, key: $key }) { unset } }';

async function set(scope: Scope, key: string, value: unknown, apiKey = org.adminKey) {
  return graphqlData(server.baseUrl, SET, { scope, key, value }, apiKey);
}

async function unset(scope: Scope, key: string): Promise<boolean> {
  const data = await graphqlData<{ unsetPolicy: { unset: boolean } }>(server.baseUrl, UNSET, { scope, key }, org.adminKey);
  return data.unsetPolicy.unset;
}

async function effective(spaceId: string): Promise<Record<string, unknown>> {
  const data = await graphqlData<{ spaceByRowId: { effectivePolicy: Record<string, unknown> } }>(
    server.baseUrl,
    'query($id: UUID!) { spaceByRowId(rowId: $id) { effectivePolicy } }',
    { id: spaceId },
    org.adminKey,
  );
  return data.spaceByRowId.effectivePolicy;
}

async function storedPolicies(): Promise<unknown[]> {
  const { rows } = await server.db.query('select tenant_id, space_id, key, value from imgplane.policies where organization_id = $1 order by key, tenant_id nulls first, space_id nulls first', [org.id]);
  return rows;
}

describe('effectivePolicy', () => {
  it('is every key of the policy schema, at the platform defaults when nothing is set', async () => {
    expect(await effective(org.tenants[0].spaceId)).toEqual(DEFAULT_POLICY);
  });

  it('follows organization, then tenant, then space settings, nearest scope winning', async () => {
    const [web, app] = org.tenants;
    await set({ organizationId: org.id }, 'quality_webp', 70);
    expect((await effective(web.spaceId)).quality_webp).toBe(70);
    expect((await effective(app.spaceId)).quality_webp).toBe(70);

    await set({ tenantId: web.id }, 'quality_webp', 60);
    expect((await effective(web.spaceId)).quality_webp).toBe(60);
    expect((await effective(app.spaceId)).quality_webp).toBe(70);

    await set({ spaceId: web.spaceId }, 'quality_webp', 50);
    const policy = await effective(web.spaceId);
    expect(policy.quality_webp).toBe(50);
    expect(policy.quality_jpeg).toBe(DEFAULT_POLICY.quality_jpeg);
  });

  it('falls back to the next wider scope when a nearer setting is unset', async () => {
    const web = org.tenants[0];
    await set({ organizationId: org.id }, 'quality_avif', 10);
    await set({ tenantId: web.id }, 'quality_avif', 20);
    await set({ spaceId: web.spaceId }, 'quality_avif', 30);
    expect(await unset({ spaceId: web.spaceId }, 'quality_avif')).toBe(true);
    expect((await effective(web.spaceId)).quality_avif).toBe(20);
    expect(await unset({ tenantId: web.id }, 'quality_avif')).toBe(true);
    expect((await effective(web.spaceId)).quality_avif).toBe(10);
    expect(await unset({ tenantId: web.id }, 'quality_avif')).toBe(false);
  });

  it('returns to the platform default below a scope that stores null, whatever wider scopes set', async () => {
    const web = org.tenants[0];
    // a preference: a limit's JSON null lifts nothing (test/db/policy-resolution.test.ts)
    await set({ organizationId: org.id }, 'default_access', 'private');
    const masked = await set({ tenantId: web.id }, 'default_access', null);
    expect(masked).toEqual({ setPolicy: { policy: { key: 'default_access', value: null, organizationId: org.id, tenantId: web.id, spaceId: null } } });
    expect((await effective(web.spaceId)).default_access).toBe('public');
    expect((await effective(org.tenants[1].spaceId)).default_access).toBe('private');
  });
});

describe('setPolicy validation', () => {
  it.each([
    ['an out-of-range value', 'max_width', 99_999, 'policy "max_width" must be an integer from 1 to 16384'],
    ['a value of the wrong type', 'allow_svg', 'yes', 'policy "allow_svg" must be true or false'],
    ['an unknown output format', 'allowed_formats', ['jpeg', 'bmp'], 'policy "allowed_formats" must be a non-empty array of jpeg, png, webp, avif, gif'],
    ['an unknown key', 'maxWidth', 100, 'unknown policy key "maxWidth"'],
  ])('rejects %s with an error naming the key, writing nothing', async (_case, key, value, message) => {
    const before = await storedPolicies();
    const response = await graphql(server.baseUrl, SET, { scope: { spaceId: org.tenants[1].spaceId }, key, value }, org.adminKey);
    expect(response.errors?.[0]).toMatchObject({ message, extensions: { code: 'bad_request', detail: expect.objectContaining({ key }) } });
    expect(response.data?.setPolicy ?? null).toBeNull();
    expect(await storedPolicies()).toEqual(before);
  });

  it('asks for exactly one scope id', async () => {
    const web = org.tenants[0];
    for (const scope of [{}, { tenantId: web.id, spaceId: web.spaceId }]) {
      const response = await graphql(server.baseUrl, SET, { scope, key: 'max_width', value: 100 }, org.adminKey);
      expect(response.errors?.[0]?.message).toBe('scope needs exactly one of organizationId, tenantId or spaceId');
    }
  });

  it('refuses every setting to a key without the admin scope', async () => {
    const tenant = org.tenants[1];
    const before = await storedPolicies();
    const refused = await graphql(server.baseUrl, SET, { scope: { spaceId: tenant.spaceId }, key: 'quality_avif', value: 40 }, tenant.key);
    expect(refused.errors?.[0]?.extensions?.code).toBe('forbidden');
    expect(await storedPolicies()).toEqual(before);
  });

  it('refuses organization-level settings to a tenant-scoped admin key, and lets it set its own space', async () => {
    const tenant = org.tenants[1];
    const tenantAdmin = await issueApiKey(server.platform.pool, PLATFORM_ADMIN, {
      organizationId: org.id,
      tenantId: tenant.id,
      name: 'tenant admin',
      scopes: ['admin'],
    });
    const before = await storedPolicies();
    const refused = await graphql(server.baseUrl, SET, { scope: { organizationId: org.id }, key: 'max_width', value: 100 }, tenantAdmin.secret);
    expect(refused.errors?.[0]?.extensions?.code).toBe('forbidden');
    const refusedUnset = await graphql(server.baseUrl, UNSET, { scope: { organizationId: org.id }, key: 'quality_webp' }, tenantAdmin.secret);
    expect(refusedUnset.errors?.[0]?.extensions?.code).toBe('forbidden');
    expect(await storedPolicies()).toEqual(before);

    await set({ spaceId: tenant.spaceId }, 'quality_avif', 40, tenantAdmin.secret);
    expect((await effective(tenant.spaceId)).quality_avif).toBe(40);
  });
});

describe('delivery', () => {
  it('applies a policy set over GraphQL to the next image request', async () => {
    const tenant = org.tenants[1];
    const uploaded = await upload(server.baseUrl, tenant.key, tenant.spaceId, await corpusFile('320x240.jpg'), { access: 'public' });
    const { urls } = (await uploaded.json()) as { urls: { original: string } };
    const url = urls.original.replace(/original\.jpg$/, 'w_200.jpg');
    expect((await fetch(url)).status).toBe(200);
    await set({ spaceId: tenant.spaceId }, 'max_width', 100);
    const refused = await fetch(url);
    expect(refused.status).toBe(400);
  });
});
