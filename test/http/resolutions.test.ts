/**
 * The resolution cache (platform/delivery/resolutions.ts) from outside: a URL served once is
 * served again from what it resolved to, and that memory goes whenever what it came from changes:
 * a policy edit, a deleted asset; private URLs are verified on every request all the same;
 * `fmt_auto` resolutions are kept per Accept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS } from '../../platform/request-context.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile } from '../support/http.ts';
import { createOrganization, setPolicy, type TestOrganization } from '../support/tenancy.ts';
import { fetchImage, imageUrl, uploadAsset, type ImageAddress } from './delivery-fixtures.ts';
import { signOne, uploadPrivate, variantPath } from './signed-urls.ts';

let server: TestApp;
let org: TestOrganization;
let photo: ImageAddress;

beforeAll(async () => {
  server = await startTestApp({ config: { metadataCacheTtlMs: 600_000 } });
  org = await createOrganization(server.platform, 'resolutions');
  photo = { baseUrl: server.baseUrl, org, tenant: org.tenants[0]!, asset: await uploadAsset(server.baseUrl, org.tenants[0]!, await corpusFile('320x240.jpg')) };
});
afterAll(async () => {
  await server?.close();
});

describe('remembered resolutions', () => {
  it('are remembered per URL path, and the next request is a memory hit', async () => {
    const pathname = new URL(imageUrl(photo, 'w_90.jpg')).pathname;
    expect(server.platform.catalog.resolutions.get(pathname, ANONYMOUS, {})).toBeUndefined();
    await fetchImage(imageUrl(photo, 'w_90.jpg'));
    const resolved = server.platform.catalog.resolutions.get(pathname, ANONYMOUS, {});
    expect(resolved).toMatchObject({ asset: { assetId: photo.asset.id }, plan: { ops: { width: 90, format: 'jpeg' } } });
    const again = await fetchImage(imageUrl(photo, 'w_90.jpg'));
    expect(again.response.headers.get('x-cache')).toBe('hit-storage'); // kept in memory from here
    expect((await fetchImage(imageUrl(photo, 'w_90.jpg'))).response.headers.get('x-cache')).toBe('hit-memory');
    expect(server.platform.catalog.resolutions.get(pathname, ANONYMOUS, {})).toBe(resolved);
  });

  it('follow a policy change at once (q_auto means the new quality)', async () => {
    const before = await fetchImage(imageUrl(photo, 'w_100.jpg'));
    const { tenant } = photo;
    await setPolicy(server.platform, { organizationId: org.id, tenantId: tenant.id, spaceId: tenant.spaceId }, 'quality_jpeg', 40);
    const after = await fetchImage(imageUrl(photo, 'w_100.jpg'));
    expect(after.response.headers.get('x-cache')).toBe('miss');
    expect(after.bytes.length).toBeLessThan(before.bytes.length);
  });

  it('answer 404 once the asset is deleted', async () => {
    const doomed = { ...photo, asset: await uploadAsset(server.baseUrl, photo.tenant, await corpusFile('flowers.jpeg')) };
    await fetchImage(imageUrl(doomed, 'w_80.jpg'));
    const deleted = await fetch(`${server.baseUrl}/v1/assets/${doomed.asset.id}`, { method: 'DELETE', headers: { 'x-api-key': photo.tenant.key } });
    expect(deleted.status).toBe(204);
    expect((await fetch(imageUrl(doomed, 'w_80.jpg'))).status).toBe(404);
  });

  it('keep fmt_auto apart per Accept', async () => {
    const url = imageUrl(photo, 'w_70-fmt_auto.jpg');
    const layer = async (accept: string, format: string) => {
      const { metadata, response } = await fetchImage(url, { headers: { accept } });
      expect(metadata.format).toBe(format);
      return response.headers.get('x-cache');
    };
    expect(await layer('image/webp', 'webp')).toBe('miss');
    expect(await layer('image/jpeg', 'jpeg')).toBe('miss');
    expect(await layer('image/webp', 'webp')).toBe('hit-storage');
    expect(await layer('image/webp', 'webp')).toBe('hit-memory');
    expect(await layer('image/jpeg', 'jpeg')).toBe('hit-storage');
  });

  it('still verify a private URL on every request', async () => {
    const asset = await uploadPrivate(server.baseUrl, photo.tenant);
    const signed = await signOne(server.baseUrl, photo.tenant.key, variantPath(asset, 'w_60.jpg'));
    expect((await fetch(signed.url)).status).toBe(200);
    expect((await fetch(signed.url)).status).toBe(200);
    const tampered = new URL(signed.url);
    const sig = tampered.searchParams.get('sig')!;
    tampered.searchParams.set('sig', `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`);
    expect([401, 403]).toContain((await fetch(tampered)).status);
    const unsigned = new URL(signed.url);
    unsigned.search = '';
    expect([401, 403]).toContain((await fetch(unsigned)).status);
    // Not under /pub/ either: the same asset's public path is "not found".
    expect((await fetch(`${server.baseUrl}${variantPath(asset, 'w_60.jpg').replace('/v1/priv/', '/v1/pub/')}`)).status).toBe(404);
  });
});
