/**
 * POST /v1/sign and /v1/priv/ verification through the real server: signed URLs deliver, every
 * malformed, expired, tampered or foreign signature is a 4xx with a JSON reason, never a 5xx.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signPath } from '../../core/signing.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { responseBytes } from '../support/http.ts';
import { createOrganization, setPolicy, type TestOrganization } from '../support/tenancy.ts';
import { oneCharacterMutations } from '../vectors/signing-vectors.ts';
import {
  activeKid,
  controllableClock,
  expectJsonError,
  pathAndQuery,
  postSign,
  signingSecret,
  signOne,
  uploadPrivate,
  variantPath,
  type SignedPathResponse,
  type UploadedAsset,
} from './signed-urls.ts';

const clock = controllableClock();
let server: TestApp;
let org: TestOrganization;
let otherOrg: TestOrganization;
let assetOfWeb: UploadedAsset;
let assetOfApp: UploadedAsset;
/** A private variant of org's tenant web. */
let webPath: string;

beforeAll(async () => {
  server = await startTestApp({ nowSeconds: clock.nowSeconds });
  [org, otherOrg] = await Promise.all([createOrganization(server.platform, 'sign'), createOrganization(server.platform, 'sign-other')]);
  [assetOfWeb, assetOfApp] = await Promise.all([uploadPrivate(server.baseUrl, org.tenants[0]), uploadPrivate(server.baseUrl, org.tenants[1])]);
  webPath = variantPath(assetOfWeb, 'w_120.jpg');
});
afterEach(() => clock.reset());
afterAll(() => server?.close());

const webKey = () => org.tenants[0].key;
/**
 * GET (or `init.method`) of a full URL or of a request target on this server. A target is appended
 * to the origin, never resolved against it: `//x/...` must stay a path, not become host `x`.
 */
function get(urlOrTarget: string, init?: RequestInit): Promise<Response> {
  if (urlOrTarget.startsWith('http://')) return fetch(urlOrTarget, init);
  return fetch(`${server.baseUrl}${urlOrTarget.startsWith('/') ? '' : '/'}${urlOrTarget}`, init);
}

/** The signed URL of `webPath` with its query edited. */
async function editedQuery(edit: (query: URLSearchParams) => void): Promise<string> {
  const url = new URL((await signOne(server.baseUrl, webKey(), webPath)).url);
  edit(url.searchParams);
  return `${url.pathname}?${url.searchParams.toString()}`;
}

describe('POST /v1/sign', () => {
  it('signs one path into ?exp=&kid=&sig= that delivers the private image with Cache-Control private', async () => {
    const signed = await signOne(server.baseUrl, webKey(), webPath);
    const kid = await activeKid(server, org.id);
    expect(signed).toMatchObject({ path: webPath, clamped: false, ttlSeconds: 3600 });
    expect(signed.url).toBe(`${server.baseUrl}${webPath}?exp=${signed.expiresAt}&kid=${kid}&sig=${new URL(signed.url).searchParams.get('sig')}`);
    expect(new URL(signed.url).searchParams.get('sig')).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const response = await get(signed.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    expect((await sharp(await responseBytes(response)).metadata()).width).toBe(120);
  });

  it('signs a list of paths in order, each URL delivering', async () => {
    const paths = [webPath, variantPath(assetOfApp, 'w_100.jpg')];
    const response = await postSign(server.baseUrl, org.adminKey, { paths });
    expect(response.status).toBe(200);
    const { urls } = (await response.json()) as { urls: SignedPathResponse[] };
    expect(urls.map((entry) => entry.path)).toEqual(paths);
    for (const entry of urls) expect((await get(entry.url)).status).toBe(200);
  });

  it('accepts a full URL and signs only its path', async () => {
    const signed = await signOne(server.baseUrl, webKey(), `https://cdn.example.com${webPath}?utm=1`);
    expect(signed.path).toBe(webPath);
    expect((await get(signed.url)).status).toBe(200);
  });

  describe('TTL from the effective policy', () => {
    let policyOrg: TestOrganization;
    const now = 1_800_000_000;

    beforeAll(async () => {
      policyOrg = await createOrganization(server.platform, 'sign-ttl');
      await setPolicy(server.platform, { organizationId: policyOrg.id }, 'signed_url_ttl_default_seconds', 600);
      await setPolicy(server.platform, { organizationId: policyOrg.id }, 'signed_url_ttl_max_seconds', 900);
    });

    const path = () => {
      const tenant = policyOrg.tenants[0];
      return `/v1/priv/${policyOrg.slug}/${tenant.slug}/${tenant.spaceSlug}/img/${randomUUID()}/v1/w_50.jpg`;
    };

    it('uses signed_url_ttl_default_seconds when the request names no TTL', async () => {
      clock.set(now);
      const signed = await signOne(server.baseUrl, policyOrg.adminKey, path());
      expect(signed).toMatchObject({ ttlSeconds: 600, expiresAt: now + 600, clamped: false });
      expect(new URL(signed.url).searchParams.get('exp')).toBe(String(now + 600));
    });

    it('keeps a TTL within signed_url_ttl_max_seconds', async () => {
      clock.set(now);
      expect(await signOne(server.baseUrl, policyOrg.adminKey, path(), 300)).toMatchObject({ ttlSeconds: 300, expiresAt: now + 300, clamped: false });
    });

    it('clamps a TTL over signed_url_ttl_max_seconds and says clamped: true', async () => {
      clock.set(now);
      expect(await signOne(server.baseUrl, policyOrg.adminKey, path(), 5000)).toMatchObject({ ttlSeconds: 900, expiresAt: now + 900, clamped: true });
    });
  });

  it('refuses a /v1/pub/ path with 400', async () => {
    const response = await postSign(server.baseUrl, webKey(), { path: webPath.replace('/v1/priv/', '/v1/pub/') });
    await expectJsonError(response, 400, /only \/v1\/priv\/ paths are signed/);
  });

  it("refuses another organisation's path with 403", async () => {
    await expectJsonError(await postSign(server.baseUrl, otherOrg.adminKey, { path: webPath }), 403, /may not sign/);
  });

  it("refuses a tenant-scoped key signing its sibling tenant's path with 403", async () => {
    const response = await postSign(server.baseUrl, org.tenants[1].key, { paths: [variantPath(assetOfApp, 'w_100.jpg'), webPath] });
    await expectJsonError(response, 403, /may not sign/);
  });

  it.each([
    ['no path', () => ({})],
    ['an empty list', () => ({ paths: [] })],
    ['over 100 paths', (path: string) => ({ paths: Array.from({ length: 101 }, () => path) })],
    ['a path that is not text', () => ({ path: 42 })],
    ['text that is neither a path nor a URL', () => ({ path: 'not a path' })],
    ['a path outside the image grammar', () => ({ path: '/v1/priv/acme' })],
    ['a path that is not an image path at all', () => ({ path: '/images/cat.jpg' })],
    ['a TTL that is not a number', (path: string) => ({ path, ttlSeconds: '600' })],
    ['a zero TTL', (path: string) => ({ path, ttlSeconds: 0 })],
    ['a negative TTL', (path: string) => ({ path, ttlSeconds: -60 })],
    ['a fractional TTL', (path: string) => ({ path, ttlSeconds: 1.5 })],
  ])('answers 400 to %s', async (_case, body) => {
    await expectJsonError(await postSign(server.baseUrl, webKey(), body(webPath)), 400);
  });
});

describe('/v1/priv/ verification', () => {
  it.each(['sig', 'exp', 'kid'])('answers 401 naming a missing %s', async (name) => {
    const url = await editedQuery((query) => query.delete(name));
    await expectJsonError(await get(url), 401, new RegExp(`"${name}"`));
  });

  it.each([
    ['standard base64 characters', (sig: string) => `${sig.slice(0, -2)}+/`, /base64url/],
    ['padding', (sig: string) => `${sig}=`, /base64url/],
    ['one character short', (sig: string) => sig.slice(0, -1), /32 bytes/],
    ['extra characters', (sig: string) => `${sig}AAA`, /32 bytes/],
  ])('answers 401 to a sig with %s', async (_case, mangle, reason) => {
    const url = await editedQuery((query) => query.set('sig', mangle(query.get('sig') as string)));
    await expectJsonError(await get(url), 401, reason);
  });

  it('answers 401 to an unknown kid', async () => {
    const url = await editedQuery((query) => query.set('kid', `sk_${randomBytes(12).toString('base64url')}`));
    await expectJsonError(await get(url), 401, /unknown signing key/);
  });

  it('delivers up to and including the second of exp, and answers 401 one second later', async () => {
    const start = 1_800_000_000;
    clock.set(start);
    const signed = await signOne(server.baseUrl, webKey(), webPath, 60);
    clock.set(signed.expiresAt);
    expect((await get(signed.url)).status).toBe(200);
    clock.set(signed.expiresAt + 1);
    await expectJsonError(await get(signed.url), 401, /expired/);
  });

  it.each([
    ['the asset id', (url: string) => url.replace(assetOfWeb.id, assetOfApp.id)],
    ['the ops', (url: string) => url.replace('/w_120.jpg', '/w_121.jpg')],
    ['the extension', (url: string) => url.replace('/w_120.jpg', '/w_120.png')],
    ['the version', (url: string) => url.replace('/v1/w_120', '/v2/w_120')],
    ['exp', (url: string) => url.replace(/exp=(\d+)/, (_match, exp: string) => `exp=${Number(exp) + 1}`)],
  ])('answers 401 when %s is changed after signing', async (_case, tamper) => {
    const signed = await signOne(server.baseUrl, webKey(), webPath);
    const tampered = tamper(pathAndQuery(signed.url));
    expect(tampered).not.toBe(pathAndQuery(signed.url));
    await expectJsonError(await get(tampered), 401, /signature does not match/);
  });

  it('answers 400 when the percent-encoding is changed after signing: the ops grammar refuses it before any lookup', async () => {
    const signed = await signOne(server.baseUrl, webKey(), webPath);
    await expectJsonError(await get(pathAndQuery(signed.url).replace('/w_120.jpg', '/w_12%30.jpg')), 400, /w_12%30/);
  });

  it("answers 403 to a genuine signature by another organisation's key", async () => {
    const kid = await activeKid(server, otherOrg.id);
    const exp = clock.nowSeconds() + 600;
    const sig = signPath({ secret: await signingSecret(server, kid), path: webPath, exp, tenantScope: '' });
    await expectJsonError(await get(`${webPath}?exp=${exp}&kid=${kid}&sig=${sig}`), 403, /may not sign URLs of this tenant/);
  });

  it('answers 404 to a private asset requested under /v1/pub/', async () => {
    await expectJsonError(await get(webPath.replace('/v1/priv/', '/v1/pub/')), 404);
  });

  it('verifies HEAD as GET', async () => {
    const signed = await signOne(server.baseUrl, webKey(), webPath);
    const response = await get(signed.url, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(0);
  });

  it("counts Cache-Control max-age down to exp on the server's clock", async () => {
    const start = 1_800_000_000;
    clock.set(start);
    const signed = await signOne(server.baseUrl, webKey(), webPath, 600);
    expect((await get(signed.url)).headers.get('cache-control')).toBe('private, max-age=600');
    clock.set(start + 100);
    expect((await get(signed.url)).headers.get('cache-control')).toBe('private, max-age=500');
  });

  it('keeps sig, exp and kid out of the variant and cache key', async () => {
    const path = variantPath(assetOfWeb, 'w_88.jpg');
    const first = await signOne(server.baseUrl, webKey(), path, 600);
    const second = await signOne(server.baseUrl, webKey(), path, 700);
    expect(new URL(first.url).search).not.toBe(new URL(second.url).search);

    const miss = await get(first.url);
    const hit = await get(second.url);
    expect([miss.status, hit.status]).toEqual([200, 200]);
    expect(miss.headers.get('x-cache')).toBe('miss');
    expect(hit.headers.get('x-cache')).not.toBe('miss');
    expect((await get(second.url)).headers.get('x-cache')).toBe('hit-memory');
    expect(hit.headers.get('etag')).toBe(miss.headers.get('etag'));
  });
});

describe('never a 5xx for any input', () => {
  /** Sends every request (a few at a time) and answers the statuses of those outside 4xx. */
  async function non4xx(pathsAndQueries: readonly string[]): Promise<string[]> {
    const failures: string[] = [];
    for (let start = 0; start < pathsAndQueries.length; start += 16) {
      await Promise.all(
        pathsAndQueries.slice(start, start + 16).map(async (candidate) => {
          const response = await get(candidate);
          await response.arrayBuffer();
          if (response.status < 400 || response.status > 499) failures.push(`${response.status} ${candidate}`);
        }),
      );
    }
    return failures;
  }

  it('rejects every one-character change of a valid signed URL, path and query, with a 4xx', async () => {
    const valid = pathAndQuery((await signOne(server.baseUrl, webKey(), webPath)).url);
    expect((await get(valid)).status).toBe(200);
    const mutations = [...oneCharacterMutations(valid)];
    expect(mutations.length).toBeGreaterThan(valid.length * 5);
    expect(await non4xx(mutations)).toEqual([]);
  });

  it('rejects a few hundred random query strings with a 4xx', async () => {
    const value = fc.string({ unit: fc.constantFrom(...'aZ09_-+/=%&.[]~ é\u0000'), maxLength: 60 });
    const pair = fc.tuple(fc.constantFrom('sig', 'exp', 'kid', 'sig[]', '__proto__', 'constructor', ''), value);
    const structured = fc.array(pair, { maxLength: 5 }).map((pairs) => pairs.map(([name, text]) => `${name}=${text}`).join('&'));
    const query = fc.oneof(structured, fc.string({ unit: 'binary', maxLength: 120 }));
    const samples = fc.sample(query, { numRuns: 300, seed: 4242 });
    expect(await non4xx(samples.map((sample) => `${webPath}?${sample}`))).toEqual([]);
  });

  it('rejects random characters at random positions of a valid signed URL with a 4xx', async () => {
    const valid = pathAndQuery((await signOne(server.baseUrl, webKey(), webPath)).url);
    const edit = fc.tuple(fc.nat({ max: valid.length - 1 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }));
    const candidates = fc
      .sample(edit, { numRuns: 200, seed: 2424 })
      .map(([index, text]) => valid.slice(0, index) + text + valid.slice(index + 1))
      .filter((candidate) => candidate !== valid);
    expect(await non4xx(candidates)).toEqual([]);
  });
});
