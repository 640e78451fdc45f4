/**
 * When the catalog entries behind a busy URL expire (METADATA_CACHE_TTL_MS), the requests in flight
 * for it share one load of the space and one of the asset version: before, each request ran its
 * own pair of queries and the pool opened a connection for most of them, every TTL, for every hot
 * URL (seen as periodic p99 spikes under load). The same holds for the signing key of a busy
 * private URL, for a busy API key (AUTH_CACHE_TTL_MS) and for the API's CORS origin lists.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile } from '../support/http.ts';
import { createOrganization } from '../support/tenancy.ts';
import { imageUrl, uploadAsset, type ImageAddress } from './delivery-fixtures.ts';
import { signOne, uploadPrivate, variantPath } from './signed-urls.ts';

// Long enough that the burst below never outlives the entries it reloads, even on a loaded machine.
const TTL_MS = 1_500;
const CONCURRENT = 30;

/** `CONCURRENT` GETs of `url` at once; their statuses. */
async function burst(url: string, count = CONCURRENT): Promise<number[]> {
  return Promise.all(Array.from({ length: count }, () => fetch(url).then(async (response) => (await response.arrayBuffer(), response.status))));
}

const expired = () => new Promise((resolve) => setTimeout(resolve, TTL_MS + 100));
let server: TestApp;
let photo: ImageAddress;

beforeAll(async () => {
  server = await startTestApp({ config: { metadataCacheTtlMs: TTL_MS, authCacheTtlMs: TTL_MS } });
  const org = await createOrganization(server.platform, 'catalog-expiry');
  const tenant = org.tenants[0]!;
  photo = { baseUrl: server.baseUrl, org, tenant, asset: await uploadAsset(server.baseUrl, tenant, await corpusFile('320x240.jpg')) };
});
afterAll(async () => {
  await server?.close();
});

describe('catalog entries of a busy URL, once expired', () => {
  it('are loaded once for all the requests in flight, not once per request', async () => {
    const url = imageUrl(photo, 'w_50.jpg');
    expect((await fetch(url)).status).toBe(200);
    await expired();

    const { pool } = server.platform;
    const spaceLoads = vi.spyOn(pool, 'query');
    // Every query takes a client: the space's `pool.query` one, the asset version's transaction
    // (read under the caller's claims) another.
    const clientsTaken = vi.spyOn(pool, 'connect');
    try {
      expect(await burst(url)).toEqual(Array.from({ length: CONCURRENT }, () => 200));
      const contextQueries = spaceLoads.mock.calls.filter(([text]) => String(text).includes('delivery_context'));
      expect(contextQueries).toHaveLength(1);
      expect(clientsTaken).toHaveBeenCalledTimes(2);
    } finally {
      spaceLoads.mockRestore();
      clientsTaken.mockRestore();
    }
  });

  it('still answer 404 for what does not exist, and load it once too', async () => {
    const missing = imageUrl({ ...photo, asset: { id: '00000000-0000-4000-8000-00000000abcd', version: 1 } }, 'w_50.jpg');
    const assetLoads = vi.spyOn(server.platform.pool, 'connect');
    try {
      expect(await burst(missing, 10)).toEqual(Array.from({ length: 10 }, () => 404));
      expect(assetLoads).toHaveBeenCalledTimes(1);
    } finally {
      assetLoads.mockRestore();
    }
  });

  it('of a private URL, with its signing key, are loaded once too', async () => {
    const asset = await uploadPrivate(server.baseUrl, photo.tenant);
    const { url } = await signOne(server.baseUrl, photo.tenant.key, variantPath(asset, 'w_40.jpg'));
    expect((await fetch(url)).status).toBe(200);
    await expired();
    const queries = vi.spyOn(pg.Client.prototype, 'query');
    try {
      expect(await burst(url)).toEqual(Array.from({ length: CONCURRENT }, () => 200));
      // (Both loads pass their SQL as a string.)
      const texts = queries.mock.calls.map(([text]) => String(text));
      expect(texts.filter((text) => text.includes('signing_key_secret'))).toHaveLength(1);
      expect(texts.filter((text) => text.includes('delivery_context'))).toHaveLength(1);
    } finally {
      queries.mockRestore();
    }
  });
});

describe('a busy API key, once its cached check expired', () => {
  it('is checked once for all the requests presenting it at once, and a wrong key is never cached', async () => {
    const url = `${server.baseUrl}/v1/assets/${photo.asset.id}`;
    const get = (key: string) => fetch(url, { headers: { 'x-api-key': key } }).then(async (response) => (await response.arrayBuffer(), response.status));
    expect(await get(photo.tenant.key)).toBe(200);
    await expired();
    const queries = vi.spyOn(pg.Client.prototype, 'query');
    try {
      const statuses = await Promise.all(Array.from({ length: CONCURRENT }, () => get(photo.tenant.key)));
      expect(statuses).toEqual(Array.from({ length: CONCURRENT }, () => 200));
      const checks = () => queries.mock.calls.filter(([text]) => String(text).includes('authenticate_api_key')).length;
      expect(checks()).toBe(1);
      // (A refused key is checked by the rate-limit hook and again by the route.)
      const wrong = `${photo.tenant.key.slice(0, -4)}0000`;
      expect(await get(wrong)).toBe(401);
      const perRefusal = checks() - 1;
      expect(perRefusal).toBeGreaterThan(0);
      expect(await get(wrong)).toBe(401);
      expect(checks()).toBe(1 + 2 * perRefusal);
    } finally {
      queries.mockRestore();
    }
  });
});

describe("the API's CORS origin lists, once expired", () => {
  it('are loaded once for all the browser requests in flight, per space and for the routes naming none', async () => {
    const origin = 'https://shop.example';
    const answered = (response: Response) => response.arrayBuffer().then(() => response.status);
    // A read of an asset (a route naming no space), and the preflight of an upload to a space.
    const read = () => fetch(`${server.baseUrl}/v1/assets/${photo.asset.id}`, { headers: { 'x-api-key': photo.tenant.key, origin } }).then(answered);
    const preflight = () =>
      fetch(`${server.baseUrl}/v1/spaces/${photo.tenant.spaceId}/assets`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key' },
      }).then(answered);
    const asked = (i: number) => (i % 2 === 0 ? read() : preflight());
    // (This origin is on no list: the read answers without Allow-Origin, the preflight is not one.)
    const warm = [await asked(0), await asked(1)];
    expect(warm[0]).toBe(200);
    const expected = (i: number) => warm[i % 2];
    await expired();
    const queries = vi.spyOn(pg.Client.prototype, 'query');
    try {
      const statuses = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => asked(i)));
      expect(statuses).toEqual(Array.from({ length: CONCURRENT }, (_, i) => expected(i)));
      const texts = queries.mock.calls.map(([text]) => String(text));
      // The routes naming no space read every policy's list; a space's route its effective policy.
      expect(texts.filter((text) => text.includes("p.key = 'cors_allowed_origins'"))).toHaveLength(1);
      expect(texts.filter((text) => text.includes('select imgplane.effective_policy($1) as policy'))).toHaveLength(1);
    } finally {
      queries.mockRestore();
    }
  });
});
