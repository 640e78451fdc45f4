/**
 * API keys and signing keys over GraphQL: createApiKey returns a secret that works (once: it is
 * never readable again), listing shows no secret, revokeApiKey locks the key out of image
 * requests within the auth cache TTL; rotateSigningKey, signUrl and revokeSigningKey drive
 * private delivery end to end.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile, upload } from '../support/http.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';
import { graphql, graphqlData } from './client.ts';

let server: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'key');
});
afterAll(() => server?.close());

const CREATE_KEY = `mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret apiKey { rowId keyId name scopes status organizationId tenantId } }
}`;

interface CreatedKey {
  secret: string;
  apiKey: { rowId: string; keyId: string; name: string; scopes: string[]; status: string; organizationId: string; tenantId: string | null };
}

async function createKey(input: Record<string, unknown>, apiKey = org.adminKey): Promise<CreatedKey> {
  const data = await graphqlData<{ createApiKey: CreatedKey }>(server.baseUrl, CREATE_KEY, { input }, apiKey);
  return data.createApiKey;
}

async function uploadWith(key: string, access: 'public' | 'private' = 'private'): Promise<Response> {
  const tenant = org.tenants[0];
  return upload(server.baseUrl, key, tenant.spaceId, await corpusFile('320x240.jpg'), { access, filename: 'a.jpg' });
}

describe('createApiKey', () => {
  it('returns a secret that works for uploads, for the tenant asked for', async () => {
    const created = await createKey({ name: 'ci uploader', tenantId: org.tenants[0].id, scopes: ['image:read', 'image:write'] });
    expect(created.secret).toMatch(/^imgp_live_[0-9a-f]+_[0-9a-f]{64}$/);
    expect(created.apiKey).toMatchObject({ name: 'ci uploader', scopes: ['image:read', 'image:write'], status: 'active', organizationId: org.id, tenantId: org.tenants[0].id });
    expect(created.secret).toContain(created.apiKey.keyId);
    expect((await uploadWith(created.secret)).status).toBeLessThan(300);
  });

  it('lists keys without their secret or its hash', async () => {
    const created = await createKey({ name: 'listed', scopes: ['image:read'] });
    const response = await fetch(`${server.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': org.adminKey },
      body: JSON.stringify({ query: '{ allApiKeys(first: 100, orderBy: CREATED_AT_DESC) { nodes { rowId keyId name scopes status lastUsedAt } } }' }),
    });
    const text = await response.text();
    const listed = (JSON.parse(text) as { data: { allApiKeys: { nodes: { rowId: string; name: string }[] } } }).data.allApiKeys.nodes;
    expect(listed.map((key) => key.rowId)).toContain(created.apiKey.rowId);
    expect(text).not.toContain(created.secret);
    expect(text).not.toContain(createHash('sha256').update(created.secret).digest('hex'));
    const asked = await graphql(server.baseUrl, '{ allApiKeys(first: 100) { nodes { secretHash } } }', {}, org.adminKey);
    expect(asked.errors?.[0]?.message).toMatch(/Cannot query field "secretHash" on type "ApiKey"/);
  });

  it('defaults a tenant-scoped admin key to keys of its own tenant', async () => {
    const tenantAdmin = await createKey({ name: 'tenant admin', tenantId: org.tenants[1].id, scopes: ['admin', 'image:read'] });
    const made = await createKey({ name: 'made by tenant admin', scopes: ['image:read'] }, tenantAdmin.secret);
    expect(made.apiKey.tenantId).toBe(org.tenants[1].id);
  });

  it.each([
    ['an unknown scope', { name: 'x', scopes: ['image:read', 'superuser'] }, 'bad_request', /unknown scope "superuser"/],
    ['no scope', { name: 'x', scopes: [] }, 'bad_request', /at least one scope/],
    ['an empty name', { name: '  ', scopes: ['sign'] }, 'bad_request', /name must not be empty/],
    ['an expiry in the past', { name: 'x', scopes: ['sign'], expiresAt: '2020-01-01T00:00:00Z' }, 'bad_request', /expiresAt must be in the future/],
  ])('rejects %s', async (_case, input, code, message) => {
    const response = await graphql(server.baseUrl, CREATE_KEY, { input }, org.adminKey);
    expect(response.errors?.[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code } });
  });

  it('needs the admin scope', async () => {
    const response = await graphql(server.baseUrl, CREATE_KEY, { input: { name: 'x', scopes: ['sign'] } }, org.tenants[0].key);
    expect(response.errors?.[0]).toMatchObject({ message: 'this API key lacks the "admin" scope', extensions: { code: 'forbidden' } });
  });
});

describe('revokeApiKey', () => {
  it('revokes the key: image requests with it get 401 once the auth cache TTL has passed', async () => {
    const created = await createKey({ name: 'short-lived', tenantId: org.tenants[0].id, scopes: ['image:read', 'image:write'] });
    const uploaded = await uploadWith(created.secret);
    const asset = (await uploaded.json()) as { id: string };
    const readAsset = () => fetch(`${server.baseUrl}/v1/assets/${asset.id}`, { headers: { 'x-api-key': created.secret } });
    expect((await readAsset()).status).toBe(200);

    const data = await graphqlData<{ revokeApiKey: { apiKey: { status: string; revokedAt: string | null } } }>(
      server.baseUrl,
      'mutation($id: UUID!) { revokeApiKey(input: { rowId: $id }) { apiKey { status revokedAt } } }',
      { id: created.apiKey.rowId },
      org.adminKey,
    );
    expect(data.revokeApiKey.apiKey.status).toBe('revoked');
    expect(data.revokeApiKey.apiKey.revokedAt).not.toBeNull();

    await new Promise((resolve) => setTimeout(resolve, server.platform.config.authCacheTtlMs + 100));
    expect((await readAsset()).status).toBe(401);
    expect((await uploadWith(created.secret)).status).toBe(401);
    expect((await graphql(server.baseUrl, '{ allAssets { totalCount } }', {}, created.secret)).status).toBe(401);
  });

  it('answers an unknown key id with not found', async () => {
    const response = await graphql(server.baseUrl, 'mutation { revokeApiKey(input: { rowId: "00000000-0000-4000-8000-000000000000" }) { apiKey { rowId } } }', {}, org.adminKey);
    expect(response.errors?.[0]?.extensions?.code).toBe('not_found');
  });
});

describe('signing keys and signUrl', () => {
  const SIGN = 'mutation($path: String!, $ttl: Int) { signUrl(input: { path: $path, ttlSeconds: $ttl }) { url path expiresAt ttlSeconds clamped } }';

  async function privatePath(): Promise<string> {
    const tenant = org.tenants[0];
    const uploaded = await uploadWith(tenant.key, 'private');
    const asset = (await uploaded.json()) as { id: string };
    return `/v1/priv/${org.slug}/${tenant.slug}/${tenant.spaceSlug}/img/${asset.id}/v1/w_40.jpg`;
  }

  it('rotates, signs with the new key, and stops verifying URLs of a revoked key', async () => {
    const before = await server.db.query<{ kid: string }>(`select kid from imgplane.signing_keys where organization_id = $1 and tenant_id is null and status = 'active'`, [org.id]);
    const rotated = await graphqlData<{ rotateSigningKey: { signingKey: { kid: string; status: string } } }>(
      server.baseUrl,
      'mutation { rotateSigningKey(input: {}) { signingKey { kid status } } }',
      {},
      org.adminKey,
    );
    const kid = rotated.rotateSigningKey.signingKey.kid;
    expect(rotated.rotateSigningKey.signingKey.status).toBe('active');
    const { rows } = await server.db.query<{ status: string; grace_until: Date | null }>('select status, grace_until from imgplane.signing_keys where kid = $1', [before.rows[0]!.kid]);
    expect(rows[0]).toMatchObject({ status: 'deprecated', grace_until: expect.any(Date) });

    const path = await privatePath();
    const signed = await graphqlData<{ signUrl: { url: string; path: string; ttlSeconds: number; clamped: boolean } }>(server.baseUrl, SIGN, { path, ttl: 600 }, org.tenants[0].key);
    expect(signed.signUrl).toMatchObject({ path, ttlSeconds: 600, clamped: false });
    expect(new URL(signed.signUrl.url).searchParams.get('kid')).toBe(kid);
    expect((await fetch(signed.signUrl.url)).status).toBe(200);

    const revoked = await graphqlData<{ revokeSigningKey: { signingKey: { kid: string; status: string } } }>(
      server.baseUrl,
      'mutation($kid: String!) { revokeSigningKey(input: { kid: $kid }) { signingKey { kid status } } }',
      { kid },
      org.adminKey,
    );
    expect(revoked.revokeSigningKey.signingKey).toEqual({ kid, status: 'revoked' });
    expect((await fetch(signed.signUrl.url)).status).toBe(401);
  });

  it('cuts a TTL above the policy maximum and says so', async () => {
    await graphqlData(server.baseUrl, 'mutation { rotateSigningKey(input: {}) { signingKey { kid } } }', {}, org.adminKey);
    const signed = await graphqlData<{ signUrl: { ttlSeconds: number; clamped: boolean } }>(server.baseUrl, SIGN, { path: await privatePath(), ttl: 10_000_000 }, org.tenants[0].key);
    expect(signed.signUrl).toEqual(expect.objectContaining({ ttlSeconds: 86_400, clamped: true }));
  });

  it('needs the sign scope to sign and the admin scope to rotate or revoke', async () => {
    const readOnly = await createKey({ name: 'reader', tenantId: org.tenants[0].id, scopes: ['image:read'] });
    const sign = await graphql(server.baseUrl, SIGN, { path: await privatePath() }, readOnly.secret);
    expect(sign.errors?.[0]?.message).toBe('this API key lacks the "sign" scope');
    const rotate = await graphql(server.baseUrl, 'mutation { rotateSigningKey(input: {}) { signingKey { kid } } }', {}, org.tenants[0].key);
    expect(rotate.errors?.[0]?.message).toBe('this API key lacks the "admin" scope');
  });

  it('answers an unknown kid with not found', async () => {
    const response = await graphql(server.baseUrl, 'mutation { revokeSigningKey(input: { kid: "sk_nope" }) { signingKey { kid } } }', {}, org.adminKey);
    expect(response.errors?.[0]?.extensions?.code).toBe('not_found');
  });
});
