import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSignatureParams, verifyPathSignature } from '../../../core/signing.ts';
import { imageUrl, type ImageRef } from '../src/index.ts';
import { signImageUrl } from '../src/sign.ts';

const REF: ImageRef = {
  baseUrl: 'https://img.example.com',
  access: 'priv',
  org: 'acme',
  tenant: 'website',
  space: 'media',
  assetId: '0b8a5a3e-6f1c-4c1e-9a51-3f0c1d2e4b5a',
};
const SECRET = randomBytes(32);
const TENANT = '5d0a4c8e-1f2b-4c3d-8e9f-0a1b2c3d4e5f';

function verify(signed: string, secret: Buffer, tenantScope: string, now: number) {
  const url = new URL(signed);
  const params = parseSignatureParams(url.searchParams);
  return { params, verdict: verifyPathSignature({ secret, path: url.pathname, exp: params.exp, tenantScope, sig: params.sig, now }) };
}

describe('signImageUrl', () => {
  it('produces a URL the server verifies, expiring ttlSeconds after now', () => {
    const signed = signImageUrl(imageUrl(REF, { width: 300 }), { kid: 'sk_demo', secret: SECRET.toString('base64'), tenantId: TENANT }, { ttlSeconds: 600, now: 1_000 });
    const { params, verdict } = verify(signed, SECRET, TENANT, 1_600);
    expect({ kid: params.kid, exp: params.exp, verdict }).toEqual({ kid: 'sk_demo', exp: 1_600, verdict: 'ok' });
    expect(verify(signed, SECRET, TENANT, 1_601).verdict).toBe('expired');
  });

  it('signs for the tenant scope it is given (an organisation key signs with none)', () => {
    const signed = signImageUrl(imageUrl(REF), { kid: 'sk_org', secret: SECRET }, { ttlSeconds: 60, now: 0 });
    expect(verify(signed, SECRET, '', 0).verdict).toBe('ok');
    expect(verify(signed, SECRET, TENANT, 0).verdict).toBe('bad_signature');
  });

  it('replaces a query the URL already had', () => {
    const once = signImageUrl(imageUrl(REF), { kid: 'a', secret: SECRET }, { ttlSeconds: 60, now: 0 });
    const twice = signImageUrl(once, { kid: 'b', secret: SECRET }, { ttlSeconds: 60, now: 0 });
    expect(new URL(twice).searchParams.getAll('kid')).toEqual(['b']);
  });

  it('refuses public URLs and a TTL that is not a positive integer', () => {
    const key = { kid: 'k', secret: SECRET };
    expect(() => signImageUrl(imageUrl({ ...REF, access: 'pub' }), key, { ttlSeconds: 60 })).toThrow(/only \/v1\/priv\//);
    expect(() => signImageUrl(imageUrl(REF), key, { ttlSeconds: 0 })).toThrow(/positive integer/);
    expect(() => signImageUrl(imageUrl(REF), key, { ttlSeconds: 1.5 })).toThrow(/positive integer/);
  });
});
