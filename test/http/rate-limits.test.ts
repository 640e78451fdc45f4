/**
 * Rate limits (issue: 1,000 distinct variants requested anonymously were all rendered): anonymous
 * misses per client address, per organisation, per API key (REST and GraphQL); the 429's headers
 * and body; memory-cache hits never counted. Client addresses come from X-Forwarded-For
 * (TRUST_PROXY on), so one test process can be several clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile } from '../support/http.ts';
import { createOrganization, setPolicy, type TestOrganization } from '../support/tenancy.ts';
import { imageUrl, uploadAsset, type ImageAddress } from './delivery-fixtures.ts';

let server: TestApp;
beforeAll(async () => {
  server = await startTestApp({ config: { trustProxy: true } });
});
afterAll(() => server?.close());

/** An organisation with one public picture, its organisation policy set to `policy`. */
async function organizationWith(policy: Record<string, number>): Promise<{ org: TestOrganization; picture: ImageAddress }> {
  const org = await createOrganization(server.platform, 'rate');
  for (const [key, value] of Object.entries(policy)) await setPolicy(server.platform, { organizationId: org.id }, key, value);
  server.platform.limits.forgetPolicies();
  const tenant = org.tenants[0];
  const asset = await uploadAsset(server.baseUrl, tenant, await corpusFile('320x240.jpg'), { access: 'public' });
  return { org, picture: { baseUrl: server.baseUrl, org, tenant, asset } };
}

const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });

async function refusals(limit: string): Promise<number> {
  const metric = await server.platform.metrics.limitRefusals.get();
  return metric.values.find((value) => value.labels.limit === limit)?.value ?? 0;
}

describe('anonymous misses', () => {
  it('refuses the miss after the per-address limit with 429, Retry-After, RateLimit headers, a JSON body and a metric', async () => {
    const { picture } = await organizationWith({ rate_anonymous_per_minute: 3 });
    const before = await refusals('rate_anonymous_per_minute');
    const admitted = [];
    for (const width of [11, 12, 13]) admitted.push(await fetch(imageUrl(picture, `w_${width}.jpg`), from('203.0.113.1')));
    expect(admitted.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(admitted[2]!.headers.get('ratelimit')).toContain('"anonymous";r=0;');

    const refused = await fetch(imageUrl(picture, 'w_14.jpg'), from('203.0.113.1'));
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit-policy')).toContain('"anonymous";q=3;w=60');
    expect(refused.headers.get('ratelimit')).toMatch(/"anonymous";r=0;t=\d+/);
    expect(refused.headers.get('content-type')).toContain('application/json');
    const body = (await refused.json()) as { error: string; message: string; detail: Record<string, unknown> };
    expect(body).toMatchObject({ error: 'rate_limited', detail: { limit: 'rate_anonymous_per_minute', quota: 3, window_seconds: 60 } });
    expect(body.message).toContain('rate_anonymous_per_minute');
    expect(await refusals('rate_anonymous_per_minute')).toBe(before + 1);
  });

  it('keeps serving memory-cache hits to a limited address, uncounted (no RateLimit headers)', async () => {
    const { picture } = await organizationWith({ rate_anonymous_per_minute: 2 });
    // Another visitor's two requests put w_21 in the memory cache (it keeps variants from their second).
    for (const layer of ['miss', 'hit-storage']) {
      expect((await fetch(imageUrl(picture, 'w_21.jpg'), from('203.0.113.9'))).headers.get('x-cache')).toBe(layer);
    }
    expect((await fetch(imageUrl(picture, 'w_22.jpg'), from('203.0.113.2'))).status).toBe(200);
    expect((await fetch(imageUrl(picture, 'w_23.jpg'), from('203.0.113.2'))).status).toBe(200);
    expect((await fetch(imageUrl(picture, 'w_24.jpg'), from('203.0.113.2'))).status).toBe(429);
    for (let i = 0; i < 5; i += 1) {
      const hit = await fetch(imageUrl(picture, 'w_21.jpg'), from('203.0.113.2'));
      expect(hit.status).toBe(200);
      expect(hit.headers.get('x-cache')).toBe('hit-memory');
      expect(hit.headers.get('ratelimit')).toBeNull();
    }
  });

  it('counts each client address on its own, and all of them against the organisation', async () => {
    // the organisation's budget of 5: its upload, then every counted request (refused ones included)
    const { picture } = await organizationWith({ rate_anonymous_per_minute: 2, rate_organization_per_minute: 5 });
    const statuses = [];
    for (const [address, width] of [['198.51.100.1', 31], ['198.51.100.1', 32], ['198.51.100.1', 33], ['198.51.100.2', 34], ['198.51.100.3', 35]] as const) {
      statuses.push((await fetch(imageUrl(picture, `w_${width}.jpg`), from(address))).status);
    }
    // .1: two admitted, the third over its own limit; .2: admitted (the org's fifth); .3: over the org's limit
    expect(statuses).toEqual([200, 200, 429, 200, 429]);
    const orgRefusal = await fetch(imageUrl(picture, 'w_36.jpg'), from('198.51.100.4'));
    expect(((await orgRefusal.json()) as { detail: { limit: string } }).detail.limit).toBe('rate_organization_per_minute');
  });

  it('does not let one organisation exhaust another one', async () => {
    // two each: the upload and one miss
    const noisy = await organizationWith({ rate_organization_per_minute: 2 });
    const quiet = await organizationWith({ rate_organization_per_minute: 2 });
    expect((await fetch(imageUrl(noisy.picture, 'w_41.jpg'))).status).toBe(200);
    expect((await fetch(imageUrl(noisy.picture, 'w_42.jpg'))).status).toBe(429);
    expect((await fetch(imageUrl(quiet.picture, 'w_41.jpg'))).status).toBe(200);
  });
});

describe('API keys', () => {
  it('limits REST and GraphQL calls per API key, not per organisation key set', async () => {
    const { org, picture } = await organizationWith({ rate_api_key_per_minute: 3 });
    const [web, app] = org.tenants;
    const read = (key: string) => fetch(`${server.baseUrl}/v1/assets/${picture.asset.id}`, { headers: { 'x-api-key': key } });
    // the upload in organizationWith was the web key's first request
    expect((await read(web.key)).status).toBe(200);
    const third = await read(web.key);
    expect(third.status).toBe(200);
    expect(third.headers.get('ratelimit-policy')).toContain('"api_key";q=3;w=60');
    const refused = await read(web.key);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    const graphqlRefused = await fetch(`${server.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'x-api-key': web.key, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(graphqlRefused.status).toBe(429);
    // another key of the same organisation has its own budget (its asset is the other tenant's: 404)
    expect((await read(app.key)).status).toBe(404);
  });

  it('limits requests with no valid key per client address (key guessing, anonymous GraphQL)', async () => {
    const guesses = [];
    for (let i = 0; i < 302; i += 1) {
      guesses.push(
        await fetch(`${server.baseUrl}/v1/assets/00000000-0000-4000-8000-000000000000`, {
          headers: { 'x-api-key': `imgp_live_guess${i}_x`, 'x-forwarded-for': '192.0.2.77' },
        }).then((response) => response.status),
      );
    }
    // the platform default rate_anonymous_per_minute (300) applies to callers of no organisation
    expect(guesses.slice(0, 300).every((status) => status === 401)).toBe(true);
    expect(guesses.slice(300)).toEqual([429, 429]);
  });
});
