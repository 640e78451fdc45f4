/**
 * Who reaches the control plane: no key means anonymous (who sees nothing of it), a wrong key is
 * a 401 (never anonymous), organizations are created by the platform operator only and read by
 * their own members only, and the Ruru IDE is served outside production only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../platform/keys/api-keys.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile, upload } from '../support/http.ts';
import { createOrganization, PLATFORM_ADMIN, uniqueSlug, type TestOrganization } from '../support/tenancy.ts';
import { graphql, graphqlData } from './client.ts';

let server: TestApp;
let org: TestOrganization;
let other: TestOrganization;
let platformKey: string;

beforeAll(async () => {
  server = await startTestApp();
  [org, other] = await Promise.all([createOrganization(server.platform, 'acc'), createOrganization(server.platform, 'acc')]);
  platformKey = (await issueApiKey(server.platform.pool, PLATFORM_ADMIN, { organizationId: null, tenantId: null, name: 'operator', scopes: ['admin'] })).secret;
  // a public asset: delivery data anonymous callers may resolve over /v1/pub, but not over GraphQL
  const tenant = org.tenants[0];
  const uploaded = await upload(server.baseUrl, tenant.key, tenant.spaceId, await corpusFile('320x240.jpg'), { access: 'public' });
  expect(uploaded.status).toBe(201);
});
afterAll(() => server?.close());

async function countRows(sql: string, parameters: unknown[] = []): Promise<number> {
  const { rows } = await server.db.query<{ count: string }>(sql, parameters);
  return Number(rows[0]!.count);
}

describe('anonymous callers (no X-Api-Key)', () => {
  it('see no organizations, tenants, spaces or assets, although active ones and public assets exist', async () => {
    expect(await countRows(`select count(*) from imgplane.organizations where status = 'active'`)).toBeGreaterThan(0);
    expect(await countRows(`select count(*) from imgplane.assets where access = 'public' and deleted_at is null`)).toBeGreaterThan(0);
    const data = await graphqlData<Record<string, { totalCount: number }>>(
      server.baseUrl,
      '{ allOrganizations { totalCount } allTenants { totalCount } allSpaces { totalCount } allAssets { totalCount } allAssetVersions { totalCount } }',
    );
    expect(data).toEqual({
      allOrganizations: { totalCount: 0 },
      allTenants: { totalCount: 0 },
      allSpaces: { totalCount: 0 },
      allAssets: { totalCount: 0 },
      allAssetVersions: { totalCount: 0 },
    });
    const bySlug = await graphqlData<{ organizationBySlug: unknown }>(
      server.baseUrl,
      'query($slug: String!) { organizationBySlug(slug: $slug) { rowId } }',
      { slug: org.slug },
    );
    expect(bySlug.organizationBySlug).toBeNull();
  });

  it('may introspect the schema, which has no secret fields on keys', async () => {
    const data = await graphqlData<{ apiKey: { fields: { name: string }[] }; signingKey: { fields: { name: string }[] } }>(
      server.baseUrl,
      '{ apiKey: __type(name: "ApiKey") { fields { name } } signingKey: __type(name: "SigningKey") { fields { name } } }',
    );
    const names = [...data.apiKey.fields, ...data.signingKey.fields].map((field) => field.name);
    expect(names).toEqual(expect.arrayContaining(['keyId', 'kid', 'scopes', 'status']));
    expect(names.filter((name) => /secret/i.test(name))).toEqual([]);
  });

  it('cannot create an organization, and none is written', async () => {
    const slug = uniqueSlug('anon');
    const response = await graphql(server.baseUrl, 'mutation($slug: String!) { createOrganization(input: { organization: { slug: $slug, name: $slug } }) { organization { rowId } } }', { slug });
    expect(response.errors?.[0]?.extensions?.code).toBe('forbidden');
    expect(await countRows('select count(*) from imgplane.organizations where slug = $1', [slug])).toBe(0);
  });

  it('are refused by every custom mutation before it touches the database', async () => {
    const before = await countRows('select count(*) from imgplane.policies where organization_id = $1', [org.id]);
    for (const [mutation, variables] of [
      ['mutation($id: UUID!) { setPolicy(input: { scope: { spaceId: $id }, key: "max_width", value: 10 }) { policy { rowId } } }', { id: org.tenants[0].spaceId }],
      ['mutation { createApiKey(input: { name: "x", scopes: ["admin"] }) { secret } }', {}],
      ['mutation($path: String!) { signUrl(input: { path: $path }) { url } }', { path: `/v1/priv/${org.slug}/web/media/img/00000000-0000-4000-8000-000000000000/v1/w_10.jpg` }],
    ] as const) {
      const response = await graphql(server.baseUrl, mutation, variables);
      expect(response.errors?.[0]).toMatchObject({ message: 'an X-Api-Key header is required', extensions: { code: 'unauthorized' } });
    }
    expect(await countRows('select count(*) from imgplane.policies where organization_id = $1', [org.id])).toBe(before);
  });
});

describe('API keys on /graphql', () => {
  it.each([
    ['an unknown key', 'imgp_live_0000000000000000_nope'],
    ['a malformed key', 'not-a-key'],
    ['an empty key', ''],
  ])('answer %s with 401 and a GraphQL error, never as anonymous', async (_case, key) => {
    const response = await graphql(server.baseUrl, '{ allOrganizations { totalCount } }', {}, key);
    expect(response.status).toBe(401);
    expect(response.data).toBeUndefined();
    expect(response.errors).toEqual([expect.objectContaining({ extensions: { code: 'unauthorized' } })]);
  });

  it('let members read their own organization only', async () => {
    for (const key of [org.adminKey, org.tenants[0].key, org.tenants[1].key]) {
      const data = await graphqlData<{ allOrganizations: { nodes: { rowId: string }[] } }>(server.baseUrl, '{ allOrganizations(first: 100) { nodes { rowId } } }', {}, key);
      expect(data.allOrganizations.nodes).toEqual([{ rowId: org.id }]);
    }
  });

  it('let the platform operator create an organization', async () => {
    const slug = uniqueSlug('made');
    const data = await graphqlData<{ createOrganization: { organization: { rowId: string; slug: string; status: string } } }>(
      server.baseUrl,
      'mutation($slug: String!) { createOrganization(input: { organization: { slug: $slug, name: "Made by GraphQL" } }) { organization { rowId slug status } } }',
      { slug },
      platformKey,
    );
    expect(data.createOrganization.organization).toMatchObject({ slug, status: 'active' });
    expect(await countRows('select count(*) from imgplane.organizations where id = $1 and slug = $2', [data.createOrganization.organization.rowId, slug])).toBe(1);
  });

  it('refuse organization creation to an organization admin key (403-style error, nothing written)', async () => {
    const slug = uniqueSlug('nope');
    const response = await graphql(
      server.baseUrl,
      'mutation($slug: String!) { createOrganization(input: { organization: { slug: $slug, name: $slug } }) { organization { rowId } } }',
      { slug },
      other.adminKey,
    );
    // Readable, and naming no table or policy (graphql/errors.ts).
    expect(response.errors?.[0]).toMatchObject({ message: 'not allowed: this API key may not read or change that here', extensions: { code: 'forbidden' } });
    expect(await countRows('select count(*) from imgplane.organizations where slug = $1', [slug])).toBe(0);
  });

  it('let an organization admin rename its organization, but not a tenant-scoped key', async () => {
    const rename = 'mutation($id: UUID!, $name: String!) { updateOrganizationByRowId(input: { rowId: $id, organizationPatch: { name: $name } }) { organization { name } } }';
    const renamed = await graphqlData<{ updateOrganizationByRowId: { organization: { name: string } } }>(server.baseUrl, rename, { id: org.id, name: 'Renamed' }, org.adminKey);
    expect(renamed.updateOrganizationByRowId.organization.name).toBe('Renamed');
    const refused = await graphql(server.baseUrl, rename, { id: org.id, name: 'Tenant was here' }, org.tenants[0].key);
    expect(refused.errors?.[0]?.extensions?.code).toBe('not_found');
    expect(await countRows(`select count(*) from imgplane.organizations where id = $1 and name = 'Renamed'`, [org.id])).toBe(1);
  });
});

describe('the Ruru IDE', () => {
  it('is served at /graphiql outside production', async () => {
    const response = await fetch(`${server.baseUrl}/graphiql`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toMatch(/ruru|graphiql/i);
  });

  it('is not served in production, while /graphql still answers', async () => {
    const production = await startTestApp({ config: { production: true } });
    try {
      expect((await fetch(`${production.baseUrl}/graphiql`)).status).toBe(404);
      const data = await graphqlData<{ allOrganizations: { totalCount: number } }>(production.baseUrl, '{ allOrganizations { totalCount } }', {}, org.adminKey);
      expect(data.allOrganizations.totalCount).toBe(1);
    } finally {
      await production.close();
    }
  });
});
