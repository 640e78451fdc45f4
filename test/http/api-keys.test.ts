/** API keys through the real server: secret format and storage, 401/403 rules, revocation bound, last use. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey, type NewApiKey } from '../../platform/keys/api-keys.ts';
import { withClaims } from '../../platform/request-context.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile, upload } from '../support/http.ts';
import { createOrganization, PLATFORM_ADMIN, type TestOrganization } from '../support/tenancy.ts';
import { expectJsonError, postSign } from './signed-urls.ts';

let server: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'keys');
});
afterAll(() => server?.close());

async function issue(overrides: Partial<NewApiKey> = {}) {
  return issueApiKey(server.platform.pool, PLATFORM_ADMIN, {
    organizationId: org.id,
    tenantId: null,
    name: 'api-keys test',
    scopes: ['image:read', 'image:write', 'sign'],
    ...overrides,
  });
}

/**
 * An authenticated request with no side effects: reading an asset that does not exist answers
 * 404 to any key holding image:read, and 401 before that if the key is not accepted.
 */
function probe(apiKey: string | undefined): Promise<Response> {
  return fetch(`${server.baseUrl}/v1/assets/${randomUUID()}`, { headers: apiKey === undefined ? {} : { 'x-api-key': apiKey } });
}

async function storedKeyRow(id: string): Promise<Record<string, unknown>> {
  const { rows } = await server.db.query('select * from imgplane.api_keys where id = $1', [id]);
  return rows[0] as Record<string, unknown>;
}

describe('API key secrets', () => {
  it('shows an imgp_live_<keyId>_<64 hex> secret once and stores only its SHA-256', async () => {
    const key = await issue();
    const match = /^imgp_live_([0-9a-f]+)_([0-9a-f]{64})$/.exec(key.secret);
    expect(match?.[1]).toBe(key.keyId);

    const row = await storedKeyRow(key.id);
    expect(row.key_id).toBe(key.keyId);
    expect(row.secret_hash).toBe(createHash('sha256').update(key.secret).digest('hex'));
    const everyColumn = JSON.stringify(row);
    expect(everyColumn).not.toContain(key.secret);
    expect(everyColumn).not.toContain(match?.[2]);
  });

  it('never lets a request role read the stored hash, not even an admin key of the organisation', async () => {
    const admin = await server.platform.auth.authenticate(org.adminKey);
    await expect(
      withClaims(server.platform.pool, admin, (client) => client.query('select secret_hash from imgplane.api_keys')),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('accepts the secret it showed', async () => {
    const key = await issue();
    await expectJsonError(await probe(key.secret), 404);
  });
});

describe('rejected keys answer 401 with a reason', () => {
  it.each([
    ['no header', undefined, /X-Api-Key header is required/],
    ['an empty header', '', /X-Api-Key header is required/],
    ['garbage', 'hello world', /invalid, expired or revoked/],
    ['an unknown well-formed key', `imgp_live_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('hex')}`, /invalid, expired or revoked/],
    ['an absurdly long key', `imgp_live_${'a'.repeat(400)}`, /invalid, expired or revoked/],
  ])('%s', async (_case, secret, reason) => {
    await expectJsonError(await probe(secret), 401, reason);
  });

  it('a real key id with the wrong random part', async () => {
    const key = await issue();
    const forged = `imgp_live_${key.keyId}_${randomBytes(32).toString('hex')}`;
    await expectJsonError(await probe(forged), 401, /invalid, expired or revoked/);
  });

  it('an expired key', async () => {
    const key = await issue({ expiresAt: new Date(Date.now() - 1_000) });
    await expectJsonError(await probe(key.secret), 401, /invalid, expired or revoked/);
  });

  it('but not a key that expires later', async () => {
    const key = await issue({ expiresAt: new Date(Date.now() + 3_600_000) });
    await expectJsonError(await probe(key.secret), 404);
  });

  it('a key revoked by an organisation admin, within authCacheTtlMs on the instance that cached it', async () => {
    const key = await issue();
    await expectJsonError(await probe(key.secret), 404); // now cached by this instance
    const admin = await server.platform.auth.authenticate(org.adminKey);
    const revoked = await withClaims(server.platform.pool, admin, (client) =>
      client.query(`update imgplane.api_keys set status = 'revoked', revoked_at = now() where id = $1`, [key.id]),
    );
    expect(revoked.rowCount).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, server.platform.config.authCacheTtlMs + 100));
    await expectJsonError(await probe(key.secret), 401, /invalid, expired or revoked/);
  });
});

describe('scopes', () => {
  it('answers 403 naming the scope when a valid key uploads without image:write', async () => {
    const key = await issue({ scopes: ['image:read'] });
    const tenant = org.tenants[0];
    const response = await upload(server.baseUrl, key.secret, tenant.spaceId, await corpusFile('concert.jpg'));
    await expectJsonError(response, 403, /"image:write"/);
  });

  it('answers 403 naming the scope when a valid key signs without sign', async () => {
    const key = await issue({ scopes: ['image:read', 'image:write'] });
    const tenant = org.tenants[0];
    const path = `/v1/priv/${org.slug}/${tenant.slug}/${tenant.spaceSlug}/img/${randomUUID()}/v1/w_100.jpg`;
    await expectJsonError(await postSign(server.baseUrl, key.secret, { path }), 403, /"sign"/);
  });

  it('answers 403 when a key without admin rotates signing keys', async () => {
    const key = await issue();
    const response = await fetch(`${server.baseUrl}/v1/signing-keys/rotate`, {
      method: 'POST',
      headers: { 'x-api-key': key.secret, 'content-type': 'application/json' },
      body: '{}',
    });
    await expectJsonError(response, 403, /"admin"/);
  });
});

describe('last_used_at', () => {
  it('is empty until the key is first used, then set to the time of use', async () => {
    const key = await issue();
    expect((await storedKeyRow(key.id)).last_used_at).toBeNull();
    const before = Date.now();
    await expectJsonError(await probe(key.secret), 404);
    const lastUsed = (await storedKeyRow(key.id)).last_used_at as Date;
    expect(lastUsed).toBeInstanceOf(Date);
    // Database and test share the machine clock; allow for rounding to the millisecond.
    expect(lastUsed.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    expect(lastUsed.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
  });
});
