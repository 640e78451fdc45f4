/**
 * `latest` URLs: /v1/{pub|priv}/.../img/{id}/latest/{ops}.{ext} serve the asset's current version,
 * cached briefly (the space's latest_max_age / latest_stale_while_revalidate) rather than
 * immutably, with the cache tags; a new version is served by the origin at once.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeliveryPath } from '../../core/delivery-path.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { responseBytes, upload } from '../support/http.ts';
import { createOrganization, setPolicy, type TestOrganization, type TestTenant } from '../support/tenancy.ts';
import { signOne } from './signed-urls.ts';

let app: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  app = await startTestApp();
  org = await createOrganization(app.platform, 'latest');
}, 60_000);

afterAll(async () => {
  await app?.close();
});

const png = (background: string) => sharp({ create: { width: 40, height: 30, channels: 3, background } }).png().toBuffer();

async function store(tenant: TestTenant, bytes: Buffer, fields: { access?: 'public' | 'private' } = {}, assetId?: string): Promise<{ id: string; version: number }> {
  const response = await upload(app.baseUrl, tenant.key, tenant.spaceId, bytes, { filename: 'a.png', ...fields }, assetId ? 'PUT' : 'POST', assetId);
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; version: number };
}

/** The red channel of the top-left pixel: which of the versions' solid colours was served. */
async function redOf(response: Response): Promise<number> {
  const { data } = await sharp(await responseBytes(response)).raw().toBuffer({ resolveWithObject: true });
  return data[0]!;
}

const latestPath = (access: 'pub' | 'priv', tenant: TestTenant, assetId: string, file = 'w_20.png') =>
  `/v1/${access}/${org.slug}/${tenant.slug}/${tenant.spaceSlug}/img/${assetId}/latest/${file}`;

describe('latest URLs', () => {
  it('parses latest in place of v{version} and names it in the 400 for anything else', () => {
    const id = '0b6f2f1e-9a51-4d57-9a39-6d2f1f0c1a11';
    expect(parseDeliveryPath(`/v1/pub/o/t/s/img/${id}/latest/w_20.png`)).toMatchObject({ version: 'latest', ops: 'w_20', extension: 'png' });
    expect(parseDeliveryPath(`/v1/pub/o/t/s/img/${id}/v7/w_20.png`)).toMatchObject({ version: 7 });
    for (const bad of ['Latest', 'latest2', 'vlatest']) {
      expect(() => parseDeliveryPath(`/v1/pub/o/t/s/img/${id}/${bad}/w_20.png`)).toThrow(/or latest/);
    }
  });

  it('serves the current version, with short caching and cache tags, and a new version at once', async () => {
    const tenant = org.tenants[0];
    const asset = await store(tenant, await png('#ff0000'));
    const first = await fetch(`${app.baseUrl}${latestPath('pub', tenant, asset.id)}`);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=60, stale-while-revalidate=60');
    expect(first.headers.get('cache-tag')).toBe([`imgp-org-${org.id}`, `imgp-space-${tenant.spaceId}`, `imgp-asset-${asset.id}`].join(','));
    expect(await redOf(first)).toBe(255);

    const second = await store(tenant, await png('#000000'), {}, asset.id);
    expect(second.version).toBe(2);
    const after = await fetch(`${app.baseUrl}${latestPath('pub', tenant, asset.id)}`);
    expect(after.status).toBe(200);
    expect(await redOf(after)).toBe(0);
    expect(after.headers.get('etag')).not.toBe(first.headers.get('etag'));
    // the numbered URL of version 1 still answers version 1, immutably
    const v1 = await fetch(`${app.baseUrl}${latestPath('pub', tenant, asset.id).replace('/latest/', '/v1/')}`);
    expect(await redOf(v1)).toBe(255);
    expect(v1.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('takes max-age and stale-while-revalidate from the space policy', async () => {
    const tenant = org.tenants[1];
    await setPolicy(app.platform, { organizationId: org.id, tenantId: tenant.id, spaceId: tenant.spaceId }, 'latest_max_age', 5);
    await setPolicy(app.platform, { organizationId: org.id }, 'latest_stale_while_revalidate', 300);
    app.platform.catalog.forgetSpaces();
    const asset = await store(tenant, await png('#00ff00'));
    const response = await fetch(`${app.baseUrl}${latestPath('pub', tenant, asset.id)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=5, stale-while-revalidate=300');
  });

  it('verifies signed latest URLs, keeps them private and refuses them unsigned or tampered', async () => {
    const tenant = org.tenants[0];
    const asset = await store(tenant, await png('#ff0000'), { access: 'private' });
    const path = latestPath('priv', tenant, asset.id);
    const signed = await signOne(app.baseUrl, tenant.key, path, 3600);
    const response = await fetch(signed.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('private, max-age=60');
    expect(await redOf(response)).toBe(255);
    expect((await fetch(`${app.baseUrl}${path}`)).status).toBe(401);
    expect((await fetch(signed.url.replace('/latest/', '/v1/'))).status).toBe(401);
    // a private asset is not served under pub, latest or not
    expect((await fetch(`${app.baseUrl}${latestPath('pub', tenant, asset.id)}`)).status).toBe(404);
  });
});
