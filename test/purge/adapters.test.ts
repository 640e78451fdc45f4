/**
 * Each CDN purge adapter against a local server that checks the request the vendor documents:
 * method, path, headers, body and authentication.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { edgeGridAuthorization } from '../../core/edgegrid.ts';
import { verifyWebhookSignature } from '../../platform/events/webhook-signature.ts';
import { adapterFor, validateTarget, type PurgeTargetRow } from '../../platform/purge/purge-targets.ts';
import type { PurgeRequest } from '../../platform/purge/types.ts';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.ts';

let vendor: RecordingServer;
beforeAll(async () => {
  vendor = await startRecordingServer();
});
afterAll(() => vendor.close());
beforeEach(() => {
  vendor.requests.length = 0;
  vendor.answerWith(() => ({ status: 200, body: '{"success":true}' }));
});

const ASSET = '5f0e2f9a-1c2b-4d3e-8f70-6a5b4c3d2e1f';
const request: PurgeRequest = {
  reference: 'imgplane-42-target',
  tags: [`imgp-asset-${ASSET}`],
  paths: [`/v1/pub/acme/web/media/img/${ASSET}/*`, `/v1/priv/acme/web/media/img/${ASSET}/*`],
  urls: [`https://img.example.com/v1/pub/acme/web/media/img/${ASSET}/v1/w_100.jpg`],
};
const open = { allowPrivateNetworks: true };

async function target(provider: string, settings: Record<string, unknown>, credentials: Record<string, unknown>) {
  const valid = await validateTarget(provider, settings, credentials, open);
  const row: PurgeTargetRow = { id: 't1', provider: valid.provider, settings: valid.settings, secret_ciphertext: '' };
  return adapterFor(row, valid.credentials, open, { cloudflare: vendor.url, fastly: vendor.url, akamai: vendor.url, cloudfront: vendor.url });
}

describe('Cloudflare', () => {
  it('purges by cache tag and by URL with the API token', async () => {
    const adapter = await target('cloudflare', { zoneId: '023e105f4ecef8ad9ca31a8372d0c353', purgeBy: ['tags', 'urls'], baseUrl: 'https://img.example.com' }, { apiToken: 'cf-token' });
    await adapter.purge(request);
    expect(vendor.requests.map((r) => [r.method, r.path])).toEqual([
      ['POST', '/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache'],
      ['POST', '/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache'],
    ]);
    expect(vendor.requests.map((r) => r.headers.authorization)).toEqual(['Bearer cf-token', 'Bearer cf-token']);
    expect(vendor.requests[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(vendor.requests[0]!.body)).toEqual({ tags: request.tags });
    expect(JSON.parse(vendor.requests[1]!.body)).toEqual({ files: request.urls });
  });

  it('fails with the vendor answer when Cloudflare refuses', async () => {
    vendor.answerWith(() => ({ status: 403, body: '{"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}' }));
    const adapter = await target('cloudflare', { zoneId: '023e105f4ecef8ad9ca31a8372d0c353' }, { apiToken: 'bad' });
    await expect(adapter.purge(request)).rejects.toThrow(/cloudflare answered HTTP 403.*Authentication error/);
  });

  it('refuses settings that are not a zone id before any request', async () => {
    await expect(validateTarget('cloudflare', { zoneId: 'nope' }, { apiToken: 't' }, open)).rejects.toThrow(/zoneId/);
  });
});

describe('Fastly', () => {
  it('purges surrogate keys in the Surrogate-Key header with Fastly-Key, soft when asked', async () => {
    const adapter = await target('fastly', { serviceId: 'SU1Z0isxPaozGVKXdv0eY', soft: true }, { apiToken: 'fastly-token' });
    await adapter.purge(request);
    expect(vendor.requests).toHaveLength(1);
    const [call] = vendor.requests;
    expect([call!.method, call!.path]).toEqual(['POST', '/service/SU1Z0isxPaozGVKXdv0eY/purge']);
    expect(call!.headers['fastly-key']).toBe('fastly-token');
    expect(call!.headers['surrogate-key']).toBe(request.tags.join(' '));
    expect(call!.headers['fastly-soft-purge']).toBe('1');
  });
});

describe('Akamai Fast Purge v3', () => {
  it('invalidates by cache tag with a valid EdgeGrid signature', async () => {
    const credentials = { clientToken: 'akab-client', clientSecret: 'c2VjcmV0', accessToken: 'akab-access' };
    const adapter = await target('akamai', { host: 'akab-abc.purge.akamaiapis.net', network: 'staging' }, credentials);
    await adapter.purge(request);
    const [call] = vendor.requests;
    expect([call!.method, call!.path]).toEqual(['POST', '/ccu/v3/invalidate/tag/staging']);
    expect(JSON.parse(call!.body)).toEqual({ objects: request.tags });
    const authorization = String(call!.headers.authorization);
    const fields = Object.fromEntries(authorization.replace('EG1-HMAC-SHA256 ', '').split(';').map((part) => part.split(/=(.*)/s).slice(0, 2)));
    expect(fields).toMatchObject({ client_token: 'akab-client', access_token: 'akab-access' });
    const expected = edgeGridAuthorization(credentials, {
      method: 'POST',
      url: `http://${call!.headers.host}${call!.path}`,
      body: call!.body,
      timestamp: fields.timestamp,
      nonce: fields.nonce,
    });
    expect(authorization).toBe(expected);
  });

  it('refuses a host that is not an Akamai API host', async () => {
    await expect(validateTarget('akamai', { host: 'evil.example.com' }, { clientToken: 'a', clientSecret: 'b', accessToken: 'c' }, open)).rejects.toThrow(/host/);
  });
});

describe('CloudFront', () => {
  it('creates an invalidation of the asset paths, SigV4-signed, with the request reference', async () => {
    vendor.answerWith((call) => {
      const reference = /<CallerReference>(.*?)<\/CallerReference>/.exec(call.body)?.[1] ?? '';
      return {
        status: 201,
        headers: { 'content-type': 'text/xml', location: 'https://cloudfront.amazonaws.com/2020-05-31/distribution/E1/invalidation/I1' },
        body:
          '<?xml version="1.0" encoding="UTF-8"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>I1</Id><Status>InProgress</Status>' +
          `<CreateTime>2026-01-01T00:00:00Z</CreateTime><InvalidationBatch><Paths><Quantity>2</Quantity><Items><Path>/a</Path></Items></Paths><CallerReference>${reference}</CallerReference></InvalidationBatch></Invalidation>`,
      };
    });
    const adapter = await target('cloudfront', { distributionId: 'EDFDVBD6EXAMPLE' }, { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI' });
    await adapter.purge(request);
    const [call] = vendor.requests;
    expect([call!.method, call!.path]).toEqual(['POST', '/2020-05-31/distribution/EDFDVBD6EXAMPLE/invalidation']);
    expect(String(call!.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/cloudfront\/aws4_request, SignedHeaders=.*host.*, Signature=[0-9a-f]{64}$/);
    expect(call!.body).toContain('<CallerReference>imgplane-42-target</CallerReference>');
    expect(call!.body).toContain('<Quantity>2</Quantity>');
    for (const path of request.paths) expect(call!.body).toContain(`<Path>${path}</Path>`);
  });
});

describe('generic HTTP', () => {
  it('POSTs tags, paths and URLs signed like webhooks', async () => {
    const adapter = await target('http', { url: `${vendor.url}/purge-hook` }, { secret: 'hook-secret', authorization: 'Bearer abc' });
    await adapter.purge(request);
    const [call] = vendor.requests;
    expect([call!.method, call!.path]).toEqual(['POST', '/purge-hook']);
    expect(JSON.parse(call!.body)).toEqual({ reference: request.reference, tags: request.tags, paths: request.paths, urls: request.urls });
    expect(call!.headers.authorization).toBe('Bearer abc');
    expect(verifyWebhookSignature('hook-secret', String(call!.headers['x-imgplane-signature']), call!.body, Math.floor(Date.now() / 1000))).toBe(true);
  });

  it('refuses a private address unless the operator allows it', async () => {
    await expect(validateTarget('http', { url: `${vendor.url}/purge-hook` }, { secret: 's' }, { allowPrivateNetworks: false })).rejects.toThrow(/non-public address/);
  });
});
