/**
 * What a server tells and to whom: variant caches scoped per organisation (no cross-tenant cache
 * timing), grammar refused before any lookup, one not-found message for every image 404, API keys
 * not outliving their expiry in the auth cache, security headers everywhere, and /metrics closed
 * on the public port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../platform/keys/api-keys.ts';
import { METRICS_AUTH, startTestApp, type TestApp } from '../support/app.ts';
import { createOrganization, PLATFORM_ADMIN, type TestOrganization } from '../support/tenancy.ts';
import { expectError, flatPicture, imagePath, imageUrl, uploadAsset, type ImageAddress } from './delivery-fixtures.ts';

let server: TestApp;
let orgA: TestOrganization;
let orgB: TestOrganization;
let pictureA: ImageAddress;
let pictureB: ImageAddress;

beforeAll(async () => {
  server = await startTestApp({ config: { authCacheTtlMs: 60_000 } });
  [orgA, orgB] = [await createOrganization(server.platform, 'hyga'), await createOrganization(server.platform, 'hygb')];
  // The same bytes in two organisations: one content hash, so unscoped caches would share a key.
  const bytes = await flatPicture(200, 100, '#12ab34');
  pictureA = { baseUrl: server.baseUrl, org: orgA, tenant: orgA.tenants[0], asset: await uploadAsset(server.baseUrl, orgA.tenants[0], bytes) };
  pictureB = { baseUrl: server.baseUrl, org: orgB, tenant: orgB.tenants[0], asset: await uploadAsset(server.baseUrl, orgB.tenants[0], bytes) };
});
afterAll(() => server?.close());

/** Counts the catalog's database lookups made while `work` runs. */
async function lookupsDuring(work: () => Promise<unknown>): Promise<number> {
  const { pool } = server.platform;
  const original = pool.query.bind(pool);
  const connect = pool.connect.bind(pool);
  let count = 0;
  pool.query = ((...args: Parameters<typeof original>) => {
    count += 1;
    return original(...args);
  }) as typeof pool.query;
  pool.connect = ((...args: Parameters<typeof connect>) => {
    count += 1;
    return connect(...args);
  }) as typeof pool.connect;
  try {
    await work();
  } finally {
    pool.query = original;
    pool.connect = connect;
  }
  return count;
}

describe('variant caches', () => {
  it("do not tell organisation B what organisation A viewed: B's first request for the same bytes is a miss", async () => {
    const layers = async (picture: ImageAddress) => {
      const seen = [];
      for (let i = 0; i < 3; i += 1) seen.push((await fetch(imageUrl(picture, 'w_77.webp'))).headers.get('x-cache'));
      return seen;
    };
    expect(await layers(pictureA)).toEqual(['miss', 'hit-storage', 'hit-memory']);
    expect(await layers(pictureB)).toEqual(['miss', 'hit-storage', 'hit-memory']);
  });
});

describe('the image route', () => {
  it('refuses malformed ops with a 400 before any database lookup', async () => {
    const garbage = `${server.baseUrl}/v1/pub/no-org/no-tenant/no-space/img/${pictureA.asset.id}/v1/w_abc-zz_9.jpg`;
    let response: Response | undefined;
    const lookups = await lookupsDuring(async () => {
      response = await fetch(garbage);
    });
    expect((await expectError(response as Response, 400)).error).toBe('invalid_ops');
    expect(lookups).toBe(0);
  });

  it('answers every not-found with one message', async () => {
    const { asset, tenant } = pictureA;
    const bodies = await Promise.all(
      [
        `/v1/pub/${orgA.slug}/${tenant.slug}/nope/img/${asset.id}/v1/w_10.jpg`, // no such space
        `/v1/pub/${orgA.slug}/${tenant.slug}/${tenant.spaceSlug}/img/00000000-0000-4000-8000-000000000000/v1/w_10.jpg`, // no such asset
        imagePath({ ...pictureA, asset: { ...asset, version: 7 } }, 'w_10.jpg'), // no such version
        imagePath({ ...pictureB, asset }, 'w_10.jpg'), // another organisation's path
      ].map(async (path) => expectError(await fetch(`${server.baseUrl}${path}`), 404)),
    );
    expect(new Set(bodies.map((body) => body.message))).toEqual(new Set(['no such image']));
  });
});

describe('API keys', () => {
  it('stop working at their expiry even while their check is cached', async () => {
    const expiresAt = new Date(Date.now() + 1_500);
    const key = await issueApiKey(server.platform.pool, PLATFORM_ADMIN, {
      organizationId: orgA.id,
      tenantId: null,
      name: 'short-lived',
      scopes: ['image:read'],
      expiresAt,
    });
    const read = () => fetch(`${server.baseUrl}/v1/assets/${pictureA.asset.id}`, { headers: { 'x-api-key': key.secret } });
    expect((await read()).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, expiresAt.getTime() - Date.now() + 50));
    // The auth cache holds checks for 60 s here; the key's expiry ends its entry sooner.
    expect((await read()).status).toBe(401);
  });
});

describe('responses', () => {
  it('carry security headers: nosniff and a restrictive CSP on JSON and images, Referrer-Policy on JSON', async () => {
    const json = [`${server.baseUrl}/health/live`, `${server.baseUrl}/v1/nope`];
    // An image twice: rendered by the route, then answered by the memory-hit path.
    const images = [imageUrl(pictureA, 'w_20.jpg'), imageUrl(pictureA, 'w_20.jpg')];
    for (const url of [...json, ...images]) {
      const response = await fetch(url);
      await response.arrayBuffer();
      expect(response.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(response.headers.get('content-security-policy'), url).toMatch(/^default-src 'none'; frame-ancestors 'none'/);
      // Document-only headers (server/security-headers.ts) are left off images.
      expect(response.headers.get('referrer-policy'), url).toBe(json.includes(url) ? 'no-referrer' : null);
      expect(response.headers.get('x-frame-options'), url).toBe(json.includes(url) ? 'SAMEORIGIN' : null);
    }
    // Images exist to be embedded by other sites.
    expect((await fetch(imageUrl(pictureA, 'w_20.jpg'))).headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  });

  it('keep /metrics closed on the public port without the metrics token', async () => {
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const open = await fetch(`${server.baseUrl}/metrics`, { headers: METRICS_AUTH });
    expect(open.status).toBe(200);
    expect(await open.text()).toContain('imgplane_http_request_duration_seconds');
  });
});
