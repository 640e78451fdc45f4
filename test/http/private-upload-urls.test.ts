/**
 * A private upload's answer carries URLs that work: signed for a short time when the key may sign,
 * otherwise unsigned with a note on how to sign them (unsigned /v1/priv/ URLs answer 401).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImgplaneError } from '../../core/errors.ts';
import { requestSignedUrls } from '../../packages/url/src/sign.ts';
import { issueApiKey } from '../../platform/keys/api-keys.ts';
import { PRIVATE_ASSET_URL_TTL_SECONDS } from '../../platform/assets/private-asset-urls.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile, upload } from '../support/http.ts';
import { createOrganization, PLATFORM_ADMIN, type TestOrganization } from '../support/tenancy.ts';

interface AssetAnswer {
  id: string;
  urls: { original: string; example: string; expiresAt?: number; signing?: string };
}

let server: TestApp;
let org: TestOrganization;
let writeOnlyKey: string;

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'privurl');
  const key = await issueApiKey(server.platform.pool, PLATFORM_ADMIN, {
    organizationId: org.id,
    tenantId: org.tenants[0].id,
    name: 'uploads only',
    scopes: ['image:read', 'image:write'],
  });
  writeOnlyKey = key.secret;
});
afterAll(() => server?.close());

describe('private upload URLs', () => {
  it('are signed for a short time when the key has the sign scope, and answer 200', async () => {
    const tenant = org.tenants[0];
    const before = Math.floor(Date.now() / 1000);
    const response = await upload(server.baseUrl, tenant.key, tenant.spaceId, await corpusFile('320x240.jpg'), { access: 'private' });
    expect(response.status).toBe(201);
    const asset = (await response.json()) as AssetAnswer;
    for (const url of [asset.urls.original, asset.urls.example]) {
      expect(url).toMatch(/\/v1\/priv\/.*\?exp=\d+&kid=[\w-]+&sig=[\w-]{43}$/);
      expect((await fetch(url)).status).toBe(200);
    }
    expect(asset.urls.expiresAt).toBeGreaterThanOrEqual(before + PRIVATE_ASSET_URL_TTL_SECONDS);
    expect(asset.urls.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + PRIVATE_ASSET_URL_TTL_SECONDS);

    const viewed = (await (await fetch(`${server.baseUrl}/v1/assets/${asset.id}`, { headers: { 'x-api-key': tenant.key } })).json()) as AssetAnswer;
    expect((await fetch(viewed.urls.example)).status).toBe(200);
  });

  it('stay unsigned without the sign scope, saying how to sign them', async () => {
    const tenant = org.tenants[0];
    const response = await upload(server.baseUrl, writeOnlyKey, tenant.spaceId, await corpusFile('Landscape_1.jpg'), { access: 'private' });
    expect(response.status).toBe(201);
    const asset = (await response.json()) as AssetAnswer;
    expect(asset.urls.original).not.toContain('?');
    expect(asset.urls.signing).toMatch(/POST \/v1\/sign/);
    expect((await fetch(asset.urls.original)).status).toBe(401);
  });

  it('can be signed again through @imgplane/url (POST /v1/sign), whose errors keep the server\'s code', async () => {
    const tenant = org.tenants[0];
    const asset = (await (await upload(server.baseUrl, writeOnlyKey, tenant.spaceId, await corpusFile('Landscape_4.jpg'), { access: 'private' })).json()) as AssetAnswer;
    const [signed] = await requestSignedUrls({ baseUrl: server.baseUrl, apiKey: tenant.key, paths: [asset.urls.example], ttlSeconds: 60 });
    expect(signed).toMatchObject({ ttlSeconds: 60, clamped: false });
    expect((await fetch(signed!.url)).status).toBe(200);
    const refused = await requestSignedUrls({ baseUrl: server.baseUrl, apiKey: writeOnlyKey, paths: [asset.urls.example] }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ImgplaneError);
    expect((refused as ImgplaneError).code).toBe('forbidden');
  });

  it('leave public assets alone', async () => {
    const tenant = org.tenants[1];
    const asset = (await (await upload(server.baseUrl, tenant.key, tenant.spaceId, await corpusFile('320x240.jpg'), { access: 'public' })).json()) as AssetAnswer;
    expect(asset.urls).toEqual({ original: expect.stringMatching(/\/v1\/pub\/.*\/original\.jpg$/), example: expect.stringMatching(/\/v1\/pub\//) });
  });
});
