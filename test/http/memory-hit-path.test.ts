/**
 * The memory-hit path (server/image-hits.ts) answers a remembered public URL whose variant is in
 * memory before Fastify sees it. It must say exactly what the image route says for the same
 * request (status, every header, bytes), count the same, and leave everything else to Fastify.
 * Each comparison asks the same server twice: over HTTP (the hit path) and through `app.inject`,
 * which reaches Fastify's handler directly.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryHitPath } from '../../server/image-hits.ts';
import { PUBLIC_IMAGE_ROUTE } from '../../server/image-response.ts';
import { ANONYMOUS } from '../../platform/request-context.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile, responseBytes } from '../support/http.ts';
import { createOrganization, setPolicy, type TestOrganization } from '../support/tenancy.ts';
import { imagePath, uploadAsset, type ImageAddress } from './delivery-fixtures.ts';
import { signOne, uploadPrivate, variantPath } from './signed-urls.ts';

const serve = vi.spyOn(MemoryHitPath.prototype, 'serve');
let server: TestApp;
let org: TestOrganization;
let photo: Omit<ImageAddress, 'baseUrl'>;

/** Headers that differ per response whoever sends them (or that only a socket has). */
const PER_RESPONSE = new Set(['date', 'x-request-id', 'connection', 'keep-alive', 'transfer-encoding']);

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Whether the memory-hit path answered it (undefined: app.inject, which never reaches it). */
  byHitPath?: boolean;
}

async function overHttp(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  serve.mockClear();
  const response = await fetch(`${server.baseUrl}${path}`, { method, headers });
  const body = await responseBytes(response);
  return { status: response.status, headers: comparable(Object.fromEntries(response.headers)), body, byHitPath: serve.mock.results[0]?.value as boolean };
}

async function throughFastify(path: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET'): Promise<Answer> {
  const response = await server.app.inject({ method, url: path, headers });
  const flat = Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name, String(value)]));
  return { status: response.statusCode, headers: comparable(flat), body: response.rawPayload };
}

/**
 * Requests `path` until its variant is in memory: the first request renders it, the second (from
 * Redis or storage) puts it in the memory cache, which keeps variants from their second request.
 */
async function inMemory(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const first = await overHttp(path, headers);
  const second = await overHttp(path, headers);
  expect(second.byHitPath).toBe(false);
  return first;
}

function comparable(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !PER_RESPONSE.has(name)));
}

async function hitCount(): Promise<number> {
  const metric = await server.platform.metrics.deliveries.get();
  return metric.values.find((value) => value.labels.cache === 'hit-memory')?.value ?? 0;
}

async function routeDurations(method: string, status: string): Promise<number> {
  const metric = await server.platform.metrics.httpDuration.get();
  const count = metric.values.find(
    (value) =>
      value.metricName?.endsWith('_count') && value.labels.route === PUBLIC_IMAGE_ROUTE && value.labels.method === method && value.labels.status === status,
  );
  return count?.value ?? 0;
}

beforeAll(async () => {
  server = await startTestApp({ config: { metadataCacheTtlMs: 600_000 } });
  org = await createOrganization(server.platform, 'hitpath');
  const tenant = org.tenants[0]!;
  photo = { org, tenant, asset: await uploadAsset(server.baseUrl, tenant, await corpusFile('320x240.jpg')) };
});
afterAll(async () => {
  await server?.close();
});

describe('the memory-hit path', () => {
  it('answers a repeated public URL itself, with the status, headers and bytes of the image route', async () => {
    const path = imagePath(photo, 'w_64.jpg');
    const first = await overHttp(path);
    expect(first).toMatchObject({ status: 200, byHitPath: false });
    expect(first.headers['x-cache']).toBe('miss');
    // Kept in memory from its second request on (core/cache/memory.ts).
    const second = await overHttp(path);
    expect(second).toMatchObject({ status: 200, byHitPath: false });
    expect(['hit-redis', 'hit-storage']).toContain(second.headers['x-cache']);
    expect(second.body.equals(first.body)).toBe(true);

    const hit = await overHttp(path);
    expect(hit.byHitPath).toBe(true);
    expect(hit.headers['x-cache']).toBe('hit-memory');
    const routed = await throughFastify(path);
    expect(routed.headers['x-cache']).toBe('hit-memory');
    expect(hit.headers).toEqual(routed.headers);
    expect(hit.status).toBe(routed.status);
    expect(hit.body.equals(routed.body)).toBe(true);
    expect(hit.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('answers HEAD and If-None-Match (304) as the image route does', async () => {
    const path = imagePath(photo, 'w_65.jpg');
    const { headers } = await inMemory(path);
    const head = await overHttp(path, {}, 'HEAD');
    expect(head).toMatchObject({ status: 200, byHitPath: true });
    expect(head.body.length).toBe(0);
    expect(head.headers).toEqual((await throughFastify(path, {}, 'HEAD')).headers);

    const conditional = { 'if-none-match': headers.etag! };
    const notModified = await overHttp(path, conditional);
    expect(notModified).toMatchObject({ status: 304, byHitPath: true });
    const routed = await throughFastify(path, conditional);
    expect(routed.status).toBe(304);
    expect(notModified.headers).toEqual(routed.headers);
  });

  it('echoes a caller X-Request-Id and makes one otherwise', async () => {
    const path = imagePath(photo, 'w_66.jpg');
    await inMemory(path);
    serve.mockClear();
    const given = await fetch(`${server.baseUrl}${path}`, { headers: { 'x-request-id': 'edge-42.a' } });
    expect(serve.mock.results[0]?.value).toBe(true);
    expect(given.headers.get('x-request-id')).toBe('edge-42.a');
    const made = await fetch(`${server.baseUrl}${path}`, { headers: { 'x-request-id': 'not a valid id!' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('follows the space CORS list and fmt_auto negotiation (Vary, Allow-Origin) like the route', async () => {
    const cors = { ...photo, tenant: org.tenants[0]! };
    await setPolicy(server.platform, { organizationId: org.id, tenantId: cors.tenant.id, spaceId: cors.tenant.spaceId }, 'cors_allowed_origins', ['https://shop.example']);
    const path = imagePath(cors, 'w_67-fmt_auto.jpg');
    const request = { accept: 'image/webp,image/*', origin: 'https://shop.example' };
    await inMemory(path, request);
    for (const headers of [request, { accept: 'image/webp,image/*', origin: 'https://elsewhere.example' }, { accept: 'image/webp,image/*' }]) {
      const hit = await overHttp(path, headers);
      expect(hit.byHitPath).toBe(true);
      const routed = await throughFastify(path, headers);
      expect(hit.headers).toEqual(routed.headers);
    }
    const allowed = await overHttp(path, request);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(allowed.headers.vary).toBe('Accept, Origin');
    expect(allowed.headers['content-type']).toBe('image/webp');
    // Another Accept is another resolution: the first request for it is not a memory hit here.
    expect((await overHttp(path, { accept: 'image/jpeg' })).byHitPath).toBe(false);
  });

  it('counts each hit in the delivery and HTTP metrics, as the route would', async () => {
    const path = imagePath(photo, 'w_68.jpg');
    await inMemory(path);
    const [hitsBefore, okBefore, headBefore] = [await hitCount(), await routeDurations('GET', '200'), await routeDurations('HEAD', '200')];
    const notModifiedBefore = await routeDurations('GET', '304');
    const etag = (await overHttp(path)).headers.etag!;
    for (let i = 0; i < 2; i += 1) expect((await overHttp(path)).byHitPath).toBe(true);
    expect((await overHttp(path, {}, 'HEAD')).byHitPath).toBe(true);
    expect(await overHttp(path, { 'if-none-match': etag })).toMatchObject({ status: 304, byHitPath: true });
    expect(await hitCount()).toBe(hitsBefore + 5);
    expect(await routeDurations('GET', '200')).toBe(okBefore + 3);
    expect(await routeDurations('HEAD', '200')).toBe(headBefore + 1);
    expect(await routeDurations('GET', '304')).toBe(notModifiedBefore + 1);
    // Counted again only when answered again: a scrape hands pending counts over once.
    expect(await hitCount()).toBe(hitsBefore + 5);
    expect(await routeDurations('GET', '200')).toBe(okBefore + 3);
  });

  it('counts hit-path answers in the space usage (bandwidth: bodies sent) and the variant accesses, as the route does', async () => {
    const path = imagePath(photo, 'w_69.jpg');
    const { body, headers } = await inMemory(path);
    await Promise.all([server.platform.usage.flush(), server.platform.access.flush()]);
    const usage = async () => {
      const { rows } = await server.db.query<{ requests: string; hits: string; bytes: string }>(
        `select sum(request_count) as requests, sum(cache_hit_count) as hits, sum(bandwidth_bytes) as bytes
           from imgplane.usage_metrics where space_id = $1`,
        [photo.tenant.spaceId],
      );
      const accesses = await server.db.query<{ count: string }>(
        'select access_count as count from imgplane.derived_assets where asset_id = $1 and variant_key = $2',
        [photo.asset.id, server.platform.catalog.resolutions.get(path, ANONYMOUS, {})!.variantKey],
      );
      return { requests: Number(rows[0]!.requests), hits: Number(rows[0]!.hits), bytes: Number(rows[0]!.bytes), accesses: Number(accesses.rows[0]!.count) };
    };
    const before = await usage();
    const notModified = { 'if-none-match': headers.etag! };
    expect((await overHttp(path)).byHitPath).toBe(true);
    expect((await overHttp(path, {}, 'HEAD')).byHitPath).toBe(true);
    expect(await overHttp(path, notModified)).toMatchObject({ status: 304, byHitPath: true });
    // The route counts the same way: a body once, HEAD and 304 none.
    expect((await throughFastify(path)).status).toBe(200);
    expect((await throughFastify(path, notModified)).status).toBe(304);
    await Promise.all([server.platform.usage.flush(), server.platform.access.flush()]);
    const after = await usage();
    expect(after.requests - before.requests).toBe(5);
    expect(after.hits - before.hits).toBe(5);
    expect(after.bytes - before.bytes).toBe(2 * body.length);
    expect(after.accesses - before.accesses).toBe(5);
  });

  it('leaves to Fastify: a query string, a private URL, an unknown URL, a variant no longer in memory', async () => {
    const path = imagePath(photo, 'w_70.jpg');
    await inMemory(path);
    expect(await overHttp(`${path}?cachebuster=1`)).toMatchObject({ status: 200, byHitPath: false });

    const asset = await uploadPrivate(server.baseUrl, photo.tenant);
    const signed = await signOne(server.baseUrl, photo.tenant.key, variantPath(asset, 'w_60.jpg'));
    for (let i = 0; i < 2; i += 1) {
      serve.mockClear();
      expect((await fetch(signed.url)).status).toBe(200);
      expect(serve.mock.results[0]?.value).toBe(false);
    }

    const unknown = await overHttp(imagePath({ ...photo, asset: { id: '00000000-0000-4000-8000-000000000000', version: 1 } }, 'w_70.jpg'));
    expect(unknown).toMatchObject({ status: 404, byHitPath: false });

    server.platform.memory.clear();
    const evicted = await overHttp(path);
    expect(evicted).toMatchObject({ status: 200, byHitPath: false });
    expect(evicted.headers['x-cache']).not.toBe('hit-memory');
    expect((await overHttp(path)).byHitPath).toBe(false); // kept in memory again from here
    expect((await overHttp(path)).byHitPath).toBe(true);
  });
});

describe('the memory-hit path at shutdown', () => {
  it('hands the counts it still holds to the usage table when the server closes', async () => {
    const own = await startTestApp();
    const ownOrg = await createOrganization(own.platform, 'hitclose');
    const tenant = ownOrg.tenants[0]!;
    const address = { org: ownOrg, tenant, asset: await uploadAsset(own.baseUrl, tenant, await corpusFile('320x240.jpg')) };
    const path = imagePath(address, 'w_50.jpg');
    let bytes = 0;
    for (let i = 0; i < 6; i += 1) {
      serve.mockClear();
      bytes += (await responseBytes(await fetch(`${own.baseUrl}${path}`))).length;
    }
    // The last answers came from the hit path, which counts them only in memory until a flush.
    expect(serve.mock.results[0]?.value).toBe(true);
    await own.close();
    const { rows } = await server.db.query<{ requests: string; hits: string; bytes: string }>(
      `select sum(request_count) as requests, sum(cache_hit_count) as hits, sum(bandwidth_bytes) as bytes
         from imgplane.usage_metrics where space_id = $1`,
      [tenant.spaceId],
    );
    expect(rows[0]).toEqual({ requests: '6', hits: '5', bytes: String(bytes) });
  });
});

describe('CACHE_TAG_HEADERS', () => {
  it('sends only the configured cache-tag header, from the route and from the hit path', async () => {
    const own = await startTestApp({ config: { cacheTagHeaders: ['surrogate-key'] } });
    try {
      const ownOrg = await createOrganization(own.platform, 'tagheaders');
      const tenant = ownOrg.tenants[0]!;
      const asset = await uploadAsset(own.baseUrl, tenant, await corpusFile('320x240.jpg'));
      const path = imagePath({ org: ownOrg, tenant, asset }, 'w_52.jpg');
      const tags = [`imgp-org-${ownOrg.id}`, `imgp-space-${tenant.spaceId}`, `imgp-asset-${asset.id}`];
      for (const byHitPath of [false, false, true]) {
        serve.mockClear();
        const response = await fetch(`${own.baseUrl}${path}`);
        await response.arrayBuffer();
        expect(serve.mock.results[0]?.value).toBe(byHitPath);
        expect(response.headers.get('surrogate-key')).toBe(tags.join(' '));
        expect(response.headers.get('cache-tag')).toBeNull();
        expect(response.headers.get('edge-cache-tag')).toBeNull();
      }
    } finally {
      await own.close();
    }
  });
});
