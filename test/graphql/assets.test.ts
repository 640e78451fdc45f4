/**
 * Assets and what hangs off them over GraphQL: listing with filters (space, tags, folder),
 * pagination and ordering; updating tags, folder and access (validated like uploads, applied to
 * delivery at once); soft deletion; and the read-only versions, derived assets, daily usage and
 * audit trail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withClaims } from '../../platform/request-context.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile, upload } from '../support/http.ts';
import { createOrganization, PLATFORM_ADMIN, type TestOrganization } from '../support/tenancy.ts';
import { graphql, graphqlData } from './client.ts';

let server: TestApp;
let org: TestOrganization;
/** In the "web" space, in upload order. */
const assets: { id: string; original: string }[] = [];
let otherSpaceAssetId: string;

async function uploadAsset(tenantIndex: 0 | 1, file: string, fields: { tags?: string; folder?: string }): Promise<{ id: string; original: string }> {
  const tenant = org.tenants[tenantIndex];
  const response = await upload(server.baseUrl, tenant.key, tenant.spaceId, await corpusFile(file), { ...fields, access: 'public' });
  expect(response.status).toBe(201);
  const body = (await response.json()) as { id: string; urls: { original: string } };
  return { id: body.id, original: body.urls.original };
}

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'ast');
  // one at a time, so created_at orders them
  assets.push(await uploadAsset(0, '320x240.jpg', { tags: 'red,sale', folder: '/products/shoes/' }));
  assets.push(await uploadAsset(0, 'concert.jpg', { tags: 'red', folder: '/blog/' }));
  assets.push(await uploadAsset(0, '4.webp', { tags: 'blue', folder: '/products/hats/' }));
  otherSpaceAssetId = (await uploadAsset(1, '320x240.jpg', { tags: 'red', folder: '/products/' })).id;
});
afterAll(() => server?.close());

interface AssetPage {
  allAssets: { totalCount: number; nodes: { rowId: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
}

async function listIds(args: string, variables: Record<string, unknown> = {}): Promise<string[]> {
  const declarations = Object.keys(variables).length === 0 ? '' : `(${Object.keys(variables).map((name) => `$${name}: UUID!`).join(', ')})`;
  const data = await graphqlData<AssetPage>(server.baseUrl, `query${declarations} { allAssets(first: 100, ${args}) { nodes { rowId } } }`, variables, org.adminKey);
  return data.allAssets.nodes.map((node) => node.rowId);
}

describe('listing assets', () => {
  it('filters by space', async () => {
    const ids = await listIds('condition: { spaceId: $space }', { space: org.tenants[0].spaceId });
    expect(ids.sort()).toEqual(assets.map((asset) => asset.id).sort());
    expect(await listIds('filter: { spaceId: { equalTo: $space } }', { space: org.tenants[1].spaceId })).toEqual([otherSpaceAssetId]);
  });

  it('filters by tags and folder', async () => {
    const [shoes, blog, hats] = assets.map((asset) => asset.id);
    const inWeb = `spaceId: { equalTo: "${org.tenants[0].spaceId}" }`;
    expect((await listIds(`filter: { ${inWeb}, tags: { contains: ["red"] } }`)).sort()).toEqual([shoes, blog].sort());
    expect(await listIds(`filter: { ${inWeb}, tags: { contains: ["red", "sale"] } }`)).toEqual([shoes]);
    expect((await listIds(`filter: { ${inWeb}, tags: { overlaps: ["sale", "blue"] } }`)).sort()).toEqual([shoes, hats].sort());
    expect((await listIds(`filter: { ${inWeb}, folder: { startsWith: "/products/" } }`)).sort()).toEqual([shoes, hats].sort());
    expect((await listIds(`filter: { folder: { startsWith: "/pro" } }`)).sort()).toEqual([shoes, hats, otherSpaceAssetId].sort());
    // a prefix, not a pattern: % and _ match themselves
    expect(await listIds(`filter: { folder: { startsWith: "/products/%" } }`)).toEqual([]);
    expect(await listIds(`filter: { folder: { startsWith: "/_roducts" } }`)).toEqual([]);
    expect(await listIds(`filter: { ${inWeb}, folder: { equalTo: "/blog/" } }`)).toEqual([blog]);
  });

  it('orders and paginates with cursors', async () => {
    const query = `query($space: UUID!, $after: Cursor) {
      allAssets(condition: { spaceId: $space }, orderBy: CREATED_AT_DESC, first: 2, after: $after) {
        totalCount nodes { rowId } pageInfo { hasNextPage endCursor }
      }
    }`;
    const first = await graphqlData<AssetPage>(server.baseUrl, query, { space: org.tenants[0].spaceId }, org.adminKey);
    expect(first.allAssets.totalCount).toBe(3);
    expect(first.allAssets.nodes.map((node) => node.rowId)).toEqual([assets[2]!.id, assets[1]!.id]);
    expect(first.allAssets.pageInfo.hasNextPage).toBe(true);
    const second = await graphqlData<AssetPage>(server.baseUrl, query, { space: org.tenants[0].spaceId, after: first.allAssets.pageInfo.endCursor }, org.adminKey);
    expect(second.allAssets.nodes.map((node) => node.rowId)).toEqual([assets[0]!.id]);
    expect(second.allAssets.pageInfo.hasNextPage).toBe(false);
  });
});

describe('updating assets', () => {
  const UPDATE = 'mutation($id: UUID!, $patch: AssetPatch!) { updateAssetByRowId(input: { rowId: $id, assetPatch: $patch }) { asset { tags folder access } } }';

  it('changes tags and folder, normalizing the folder as uploads do', async () => {
    const data = await graphqlData<{ updateAssetByRowId: { asset: unknown } }>(
      server.baseUrl,
      UPDATE,
      { id: assets[1]!.id, patch: { tags: ['news', 'red'], folder: '/blog/2025' } },
      org.tenants[0].key,
    );
    expect(data.updateAssetByRowId.asset).toEqual({ tags: ['news', 'red'], folder: '/blog/2025/', access: 'public' });
  });

  it.each([
    ['a tag with spaces', { tags: ['two words'] }, /invalid tag "two words"/],
    ['a tag with a comma', { tags: ['a,b'] }, /tags must be a list of tags/],
    ['a folder with a space', { folder: '/my photos/' }, /invalid folder/],
  ])('rejects %s like an upload would, changing nothing', async (_case, patch, message) => {
    const { rows: before } = await server.db.query('select tags, folder from imgplane.assets where id = $1', [assets[0]!.id]);
    const response = await graphql(server.baseUrl, UPDATE, { id: assets[0]!.id, patch }, org.adminKey);
    expect(response.errors?.[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code: 'bad_request' } });
    const { rows: after } = await server.db.query('select tags, folder from imgplane.assets where id = $1', [assets[0]!.id]);
    expect(after).toEqual(before);
  });

  it('has no way to change the version, the deletion time or the space through a patch', async () => {
    for (const field of ['currentVersion: 2', 'deletedAt: "2020-01-01T00:00:00Z"', `spaceId: "${org.tenants[1].spaceId}"`]) {
      const response = await graphql(server.baseUrl, `mutation($id: UUID!) { updateAssetByRowId(input: { rowId: $id, assetPatch: { ${field} } }) { asset { rowId } } }`, { id: assets[0]!.id }, org.adminKey);
      expect(response.errors?.[0]?.message).toMatch(/is not defined by type "AssetPatch"/);
    }
  });

  it('makes a public asset private for delivery at once', async () => {
    const url = assets[2]!.original;
    expect((await fetch(url)).status).toBe(200);
    await graphqlData(server.baseUrl, UPDATE, { id: assets[2]!.id, patch: { access: 'private' } }, org.adminKey);
    expect((await fetch(url)).status).toBe(404);
    await graphqlData(server.baseUrl, UPDATE, { id: assets[2]!.id, patch: { access: 'public' } }, org.adminKey);
    expect((await fetch(url)).status).toBe(200);
  });
});

describe('softDeleteAsset', () => {
  const SOFT_DELETE = 'mutation($id: UUID!) { softDeleteAsset(input: { rowId: $id }) { asset { rowId deletedAt } } }';

  it('sets deletedAt, stops delivery and keeps the rows', async () => {
    const victim = await uploadAsset(0, 'flowers.jpeg', { folder: '/trash/' });
    expect((await fetch(victim.original)).status).toBe(200);
    const data = await graphqlData<{ softDeleteAsset: { asset: { rowId: string; deletedAt: string | null } } }>(server.baseUrl, SOFT_DELETE, { id: victim.id }, org.tenants[0].key);
    expect(data.softDeleteAsset.asset.rowId).toBe(victim.id);
    expect(data.softDeleteAsset.asset.deletedAt).not.toBeNull();
    expect((await fetch(victim.original)).status).toBe(404);
    expect(await listIds('filter: { folder: { equalTo: "/trash/" }, deletedAt: { isNull: true } }')).toEqual([]);
    const { rows } = await server.db.query('select count(*)::int as versions from imgplane.asset_versions where asset_id = $1', [victim.id]);
    expect(rows[0].versions).toBe(1);

    const again = await graphql(server.baseUrl, SOFT_DELETE, { id: victim.id }, org.tenants[0].key);
    expect(again.errors?.[0]?.extensions?.code).toBe('not_found');
  });

  it('needs the image:write scope', async () => {
    const created = await graphqlData<{ createApiKey: { secret: string } }>(
      server.baseUrl,
      'mutation($tenant: UUID!) { createApiKey(input: { tenantId: $tenant, name: "reader", scopes: ["image:read"] }) { secret } }',
      { tenant: org.tenants[0].id },
      org.adminKey,
    );
    const response = await graphql(server.baseUrl, SOFT_DELETE, { id: assets[0]!.id }, created.createApiKey.secret);
    expect(response.errors?.[0]?.message).toBe('this API key lacks the "image:write" scope');
    const { rows } = await server.db.query('select deleted_at from imgplane.assets where id = $1', [assets[0]!.id]);
    expect(rows[0].deleted_at).toBeNull();
  });
});

describe('read-only views of an asset', () => {
  it('shows its versions and the variants generated from it', async () => {
    const variant = await fetch(assets[0]!.original.replace(/original\.jpg$/, 'w_64.webp'));
    expect(variant.status).toBe(200);
    await server.platform.variants.settled(); // registered after the response (write-behind)
    const data = await graphqlData<{ assetByRowId: { versions: { nodes: unknown[] }; derivedAssets: { nodes: unknown[] } } }>(
      server.baseUrl,
      `query($id: UUID!) { assetByRowId(rowId: $id) {
        versions(first: 100) { nodes { version format width height } }
        derivedAssets(first: 100) { nodes { outputFormat width assetVersion { version } } }
      } }`,
      { id: assets[0]!.id },
      org.tenants[0].key,
    );
    expect(data.assetByRowId.versions.nodes).toEqual([{ version: 1, format: 'jpeg', width: 320, height: 240 }]);
    expect(data.assetByRowId.derivedAssets.nodes).toContainEqual({ outputFormat: 'webp', width: 64, assetVersion: { version: 1 } });
  });

  it('shows daily usage per space', async () => {
    const web = org.tenants[0];
    await withClaims(server.platform.pool, PLATFORM_ADMIN, (client) =>
      client.query('select imgplane.record_usage($1::jsonb)', [
        JSON.stringify([{ day: '2025-03-01', organization_id: org.id, tenant_id: web.id, space_id: web.spaceId, request_count: 7, bandwidth_bytes: 700 }]),
      ]),
    );
    const data = await graphqlData<{ spaceByRowId: { dailyUsage: { nodes: unknown[] } } }>(
      server.baseUrl,
      'query($id: UUID!) { spaceByRowId(rowId: $id) { dailyUsage(first: 100, condition: { day: "2025-03-01" }) { nodes { day spaceSlug requestCount bandwidthBytes } } } }',
      { id: web.spaceId },
      web.key,
    );
    expect(data.spaceByRowId.dailyUsage.nodes).toEqual([{ day: '2025-03-01', spaceSlug: 'media', requestCount: '7', bandwidthBytes: '700' }]);
  });

  it('shows the audit trail to admin keys only, without secrets', async () => {
    const query = 'query($id: UUID!) { allAuditLogs(first: 100, filter: { resourceId: { equalTo: $id } }, orderBy: CREATED_AT_ASC) { nodes { action actorType newRow } } }';
    const data = await graphqlData<{ allAuditLogs: { nodes: { action: string; actorType: string }[] } }>(server.baseUrl, query, { id: assets[1]!.id }, org.adminKey);
    expect(data.allAuditLogs.nodes.map((entry) => entry.action)).toEqual(['asset.insert', 'asset.update']);
    expect(data.allAuditLogs.nodes.every((entry) => entry.actorType === 'api_key')).toBe(true);

    const keyAudit = await graphqlData<{ allAuditLogs: { nodes: { newRow: Record<string, unknown> }[] } }>(
      server.baseUrl,
      '{ allAuditLogs(first: 100, filter: { resourceType: { equalTo: "api_key" } }) { nodes { newRow } } }',
      {},
      org.adminKey,
    );
    expect(keyAudit.allAuditLogs.nodes.length).toBeGreaterThan(0);
    expect(keyAudit.allAuditLogs.nodes.filter((entry) => entry.newRow !== null && 'secret_hash' in entry.newRow)).toEqual([]);

    const withoutAdmin = await graphqlData<{ allAuditLogs: { totalCount: number } }>(server.baseUrl, '{ allAuditLogs { totalCount } }', {}, org.tenants[0].key);
    expect(withoutAdmin.allAuditLogs.totalCount).toBe(0);
  });
});
