/**
 * Row-level security seen through HTTP: another organisation's (or a sibling tenant's) asset is
 * "not found" to read, replace and delete, and the database shows it untouched afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile, upload } from '../support/http.ts';
import { createOrganization, type TestOrganization, type TestTenant } from '../support/tenancy.ts';
import { expectJsonError, uploadPrivate, type UploadedAsset } from './signed-urls.ts';

let server: TestApp;
let orgA: TestOrganization;
let orgB: TestOrganization;
/** Org B, tenant web. */
let assetOfB: UploadedAsset;
/** Org A, tenant app: the sibling of org A's tenant web. */
let assetOfSibling: UploadedAsset;

beforeAll(async () => {
  server = await startTestApp();
  [orgA, orgB] = await Promise.all([createOrganization(server.platform, 'rls-a'), createOrganization(server.platform, 'rls-b')]);
  [assetOfB, assetOfSibling] = await Promise.all([
    uploadPrivate(server.baseUrl, orgB.tenants[0]),
    uploadPrivate(server.baseUrl, orgA.tenants[1]),
  ]);
});
afterAll(() => server?.close());

function assetRequest(method: 'GET' | 'DELETE', apiKey: string, assetId: string): Promise<Response> {
  return fetch(`${server.baseUrl}/v1/assets/${assetId}`, { method, headers: { 'x-api-key': apiKey } });
}

async function assetState(assetId: string) {
  const { rows } = await server.db.query(
    `select a.current_version, a.deleted_at, (select count(*)::int from imgplane.asset_versions v where v.asset_id = a.id) as versions
       from imgplane.assets a where a.id = $1`,
    [assetId],
  );
  return rows[0];
}

/** Read, replace and delete as `apiKey` all answer 404, and the asset is unchanged in SQL. */
async function expectUnreachable(apiKey: string, asset: UploadedAsset): Promise<void> {
  const before = await assetState(asset.id);
  await expectJsonError(await assetRequest('GET', apiKey, asset.id), 404, /no asset/);
  const replacement = await corpusFile('320x240.jpg');
  await expectJsonError(await upload(server.baseUrl, apiKey, '', replacement, {}, 'PUT', asset.id), 404, /no asset/);
  await expectJsonError(await assetRequest('DELETE', apiKey, asset.id), 404, /no asset/);
  expect(await assetState(asset.id)).toEqual(before);
  expect(before).toMatchObject({ current_version: 1, deleted_at: null, versions: 1 });
}

describe('across organisations', () => {
  it('the owner reads the asset (so the 404s below are RLS, not a missing row)', async () => {
    const response = await assetRequest('GET', orgB.tenants[0].key, assetOfB.id);
    expect(response.status).toBe(200);
    expect(((await response.json()) as UploadedAsset).id).toBe(assetOfB.id);
  });

  it("org A's admin key cannot read, replace or delete org B's asset", async () => {
    await expectUnreachable(orgA.adminKey, assetOfB);
  });

  it("org A's tenant key cannot either", async () => {
    await expectUnreachable(orgA.tenants[0].key, assetOfB);
  });

  it("org A's key cannot upload into org B's space", async () => {
    const tenantOfB: TestTenant = orgB.tenants[0];
    const response = await upload(server.baseUrl, orgA.adminKey, tenantOfB.spaceId, await corpusFile('320x240.jpg'));
    await expectJsonError(response, 404, /no space/);
    const { rows } = await server.db.query('select count(*)::int as n from imgplane.assets where space_id = $1', [tenantOfB.spaceId]);
    expect(rows[0].n).toBe(1);
  });
});

describe('across sibling tenants', () => {
  it("the organisation's admin key reads both tenants' assets", async () => {
    expect((await assetRequest('GET', orgA.adminKey, assetOfSibling.id)).status).toBe(200);
  });

  it("a tenant-scoped key cannot read, replace or delete its sibling tenant's asset", async () => {
    await expectUnreachable(orgA.tenants[0].key, assetOfSibling);
  });
});
