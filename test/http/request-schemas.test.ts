/**
 * Every REST route validates its input with a JSON schema (server/request-schemas.ts): malformed
 * ids and bodies are 400s naming the field, ids of things the caller cannot see are 404s, and no
 * client mistake answers 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';
import { expectError } from './delivery-fixtures.ts';

let server: TestApp;
let org: TestOrganization;
let other: TestOrganization;

beforeAll(async () => {
  server = await startTestApp();
  [org, other] = [await createOrganization(server.platform, 'schemas'), await createOrganization(server.platform, 'schemasb')];
});
afterAll(() => server?.close());

function call(method: string, route: string, body?: unknown, apiKey = org.adminKey): Promise<Response> {
  const headers: Record<string, string> = { 'x-api-key': apiKey };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${server.baseUrl}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

describe('request schemas', () => {
  it.each([
    ['rotate with a tenantId that is no UUID', 'POST', '/v1/signing-keys/rotate', { tenantId: 'nope' }, /tenantId/],
    ['rotate with an unknown field', 'POST', '/v1/signing-keys/rotate', { tenant: 'x' }, /additional properties/],
    ['revoke a malformed kid', 'POST', '/v1/signing-keys/not%20a%20kid/revoke', undefined, /kid/],
    ['sign with paths that are not strings', 'POST', '/v1/sign', { paths: [{ path: '/v1/priv/x' }] }, /paths/],
    ['sign with a fractional TTL', 'POST', '/v1/sign', { path: '/v1/priv/a/b/c/img/x/v1/w_1.jpg', ttlSeconds: 1.5 }, /ttlSeconds/],
    ['read an asset by a non-UUID', 'GET', '/v1/assets/not-a-uuid', undefined, /assetId/],
    ['delete an asset by a non-UUID', 'DELETE', '/v1/assets/123', undefined, /assetId/],
    ['upload into a non-UUID space', 'POST', '/v1/spaces/xyz/assets', undefined, /spaceId/],
    ['purge with a non-boolean storage', 'POST', '/v1/assets/00000000-0000-4000-8000-000000000000/purge', { storage: 'yes' }, /storage/],
    ['rotate with a body that is no object', 'POST', '/v1/signing-keys/rotate', ['tenantId'], /body must be object/],
    ['purge with a body that is no object', 'POST', '/v1/spaces/00000000-0000-4000-8000-000000000000/purge', [true], /body must be object/],
  ])('answers 400 to %s, naming the field', async (_case, method, route, body, field) => {
    const error = await expectError(await call(method, route, body), 400);
    expect(error.error).toBe('bad_request');
    expect(error.message).toMatch(field);
  });

  it("answers 404, not 500, to a rotation for another organisation's tenant", async () => {
    const response = await call('POST', '/v1/signing-keys/rotate', { tenantId: other.tenants[0].id });
    expect(response.status).toBe(404);
    expect((await response.json()) as { error: string }).toMatchObject({ error: 'not_found' });
  });

  it("answers 403 to a rotation for another organisation", async () => {
    expect((await call('POST', '/v1/signing-keys/rotate', { organizationId: other.id })).status).toBe(403);
  });

  it('still accepts a rotation with no body at all', async () => {
    const response = await fetch(`${server.baseUrl}/v1/signing-keys/rotate`, { method: 'POST', headers: { 'x-api-key': org.adminKey } });
    expect(response.status).toBe(201);
  });
});
