/**
 * CORS by policy (`cors_allowed_origins`): image answers carry Access-Control-Allow-Origin for the
 * origins their space allows (and Vary: Origin when the list names origins); the API answers
 * preflights and calls from allowed origins only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImgplaneError } from '../../core/errors.ts';
import { validatePolicyValue } from '../../core/policy.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile, upload } from '../support/http.ts';
import { createOrganization, setPolicy, type TestOrganization } from '../support/tenancy.ts';

const SHOP = 'https://shop.example.com';
const EVIL = 'https://evil.example.com';

let server: TestApp;
let org: TestOrganization;
let open: TestOrganization;
/** A public image URL in the space that allows SHOP, one in its sibling (no list), one in `open` ("*"). */
let listed: string;
let unlisted: string;
let anywhere: string;

async function publicImage(organization: TestOrganization, tenantIndex: 0 | 1): Promise<string> {
  const tenant = organization.tenants[tenantIndex];
  const response = await upload(server.baseUrl, tenant.key, tenant.spaceId, await corpusFile('320x240.jpg'), { access: 'public' });
  const { urls } = (await response.json()) as { urls: { original: string } };
  return urls.original.replace(/original\.jpg$/, 'w_64.jpg');
}

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'cors');
  open = await createOrganization(server.platform, 'cors-open');
  await setPolicy(server.platform, { organizationId: org.id, tenantId: org.tenants[0].id, spaceId: org.tenants[0].spaceId }, 'cors_allowed_origins', [SHOP]);
  await setPolicy(server.platform, { organizationId: open.id }, 'cors_allowed_origins', ['*']);
  [listed, unlisted, anywhere] = [await publicImage(org, 0), await publicImage(org, 1), await publicImage(open, 0)];
});
afterAll(() => server?.close());

describe('image responses', () => {
  it('allow an origin the space lists, varying on Origin', async () => {
    const response = await fetch(listed, { headers: { origin: SHOP } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('allow no other origin, still varying on Origin so a CDN keeps them apart', async () => {
    const response = await fetch(listed, { headers: { origin: EVIL } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('carry no CORS header in a space without a list, and * where the list is ["*"]', async () => {
    const plain = await fetch(unlisted, { headers: { origin: SHOP } });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    expect(plain.headers.get('vary') ?? '').not.toMatch(/\bOrigin\b/);
    const wildcard = await fetch(anywhere, { headers: { origin: EVIL } });
    expect(wildcard.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('the API', () => {
  const preflight = (path: string, origin: string) =>
    fetch(`${server.baseUrl}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key' },
    });

  it('answers a preflight for an upload into a space that lists the origin', async () => {
    const response = await preflight(`/v1/spaces/${org.tenants[0].spaceId}/assets`, SHOP);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(response.headers.get('access-control-allow-headers')).toMatch(/x-api-key/);
    expect(response.headers.get('access-control-allow-methods')).toMatch(/POST/);
  });

  it('refuses the preflight for a space that does not list it, and for an unlisted origin', async () => {
    for (const [path, origin] of [[`/v1/spaces/${org.tenants[1].spaceId}/assets`, SHOP], [`/v1/spaces/${org.tenants[0].spaceId}/assets`, EVIL]] as const) {
      const response = await preflight(path, origin);
      expect(response.headers.get('access-control-allow-origin'), `${origin} ${path}`).toBeNull();
    }
  });

  it('marks the upload answer itself for the allowed origin', async () => {
    const tenant = org.tenants[0];
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(await corpusFile('Landscape_2.jpg'))]), 'landscape.jpg');
    const response = await fetch(`${server.baseUrl}/v1/spaces/${tenant.spaceId}/assets`, { method: 'POST', headers: { 'x-api-key': tenant.key, origin: SHOP }, body: form });
    expect(response.status).toBe(201);
    expect(response.headers.get('access-control-allow-origin')).toBe(SHOP);
  });

  it('lets GraphQL and /v1/sign be called from an origin some policy lists, and from no other', async () => {
    for (const path of ['/graphql', '/v1/sign']) {
      expect((await preflight(path, SHOP)).headers.get('access-control-allow-origin'), path).toBe(SHOP);
      expect((await preflight(path, 'https://never-listed.example.net')).headers.get('access-control-allow-origin'), path).toBeNull();
    }
  });
});

describe('the policy value', () => {
  it.each([
    [['https://www.example.com', 'http://localhost:5173', 'http://[::1]:8080']],
    [['*']],
    [[]],
  ])('accepts %j', (value) => {
    expect(() => validatePolicyValue('cors_allowed_origins', value)).not.toThrow();
  });

  it.each([
    [['https://www.example.com/']],
    [['https://www.example.com/path']],
    [['https://WWW.example.com']],
    [['www.example.com']],
    ['https://www.example.com'],
    [[42]],
  ])('refuses %j with a 400 naming the key', (value) => {
    expect(() => validatePolicyValue('cors_allowed_origins', value)).toThrow(ImgplaneError);
    try {
      validatePolicyValue('cors_allowed_origins', value);
    } catch (error) {
      expect((error as ImgplaneError).toBody()).toMatchObject({ error: 'bad_request', detail: { key: 'cors_allowed_origins' } });
    }
  });
});
