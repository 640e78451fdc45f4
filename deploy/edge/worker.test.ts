/** The edge worker in Node 24 (Request, Response, crypto.subtle), against the shared vectors. */
import { describe, expect, it } from 'vitest';
import { signPath } from '../../core/signing.ts';
import { createWorker } from './worker.js';
import type { EdgeEnv, ForwardInit } from './worker.js';
import { loadSigningVectors, oneCharacterMutations, vectorQuery } from '../../test/vectors/signing-vectors.ts';
import type { SigningOutcome, SigningVector } from '../../test/vectors/signing-vectors.ts';

const vectors = loadSigningVectors();
const valid = vectors.find((vector) => vector.name === 'valid, organisation key') as SigningVector;

function harness(now: number) {
  const forwarded: { request: Request; init: ForwardInit | undefined }[] = [];
  const worker = createWorker({
    now: () => now,
    fetch: async (request, init) => {
      forwarded.push({ request, init });
      return new Response('image bytes', { status: 200 });
    },
  });
  return { worker, forwarded };
}

function envFor(vector: SigningVector): EdgeEnv {
  const records = new Map(vector.key === null ? [] : [[vector.kid, JSON.stringify(vector.key)]]);
  return {
    SIGNING_KEYS: { get: async (kid) => records.get(kid) ?? null },
    SIGNING_HOST_BINDING: vector.host === '' ? 'false' : 'true',
  };
}

const urlFor = (vector: SigningVector, pathAndQuery = `${vector.path}?${vectorQuery(vector)}`) =>
  `https://${vector.host || 'img.cdn.example'}${pathAndQuery}`;

/** Runs one request through the worker and reads its outcome back from the status and JSON reason. */
async function outcome(vector: SigningVector, url = urlFor(vector), method = 'GET'): Promise<SigningOutcome> {
  const { worker } = harness(vector.now);
  const response = await worker.fetch(new Request(url, { method }), envFor(vector));
  if (response.status === 200) return 'ok';
  expect([401, 403]).toContain(response.status);
  expect(response.headers.get('content-type')).toBe('application/json');
  const body = (await response.json()) as { error: string; message: string; detail: { reason: SigningOutcome } };
  expect(body.error).toBe(response.status === 403 ? 'forbidden' : 'unauthorized');
  expect(body.message.length).toBeGreaterThan(0);
  return body.detail.reason;
}

describe('edge worker: shared signing vectors', () => {
  it.each(vectors.map((vector) => [vector.name, vector] as const))('%s', async (_name, vector) => {
    expect(await outcome(vector)).toBe(vector.expected);
  });

  it('verifies HEAD as GET', async () => {
    expect(await outcome(valid, urlFor(valid), 'HEAD')).toBe('ok');
  });
});

describe('edge worker: forwarding', () => {
  it('forwards a genuine request unchanged, with a cache key without sig, exp and kid', async () => {
    const { worker, forwarded } = harness(valid.now);
    const url = urlFor(valid, `${valid.path}?v=2&${vectorQuery(valid)}`);
    await worker.fetch(new Request(url), envFor(valid));
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]?.request.url).toBe(url);
    expect(forwarded[0]?.init?.cf?.cacheKey).toBe(`https://img.cdn.example${valid.path}?v=2`);
  });

  it('gives every signed URL of one variant the same cache key', async () => {
    const { worker, forwarded } = harness(valid.now);
    const sameVariant = vectors.filter((vector) => vector.expected === 'ok' && vector.path === valid.path && vector.host === '');
    for (const vector of sameVariant) await worker.fetch(new Request(urlFor(vector)), envFor(vector));
    expect(new Set(forwarded.map(({ init }) => init?.cf?.cacheKey))).toEqual(new Set([`https://img.cdn.example${valid.path}`]));
    expect(new Set(forwarded.map(({ request }) => request.url)).size).toBeGreaterThan(1);
  });

  it('adds the accepted modern formats to the cache key of fmt_auto variants', async () => {
    const path = valid.path.replace('f_cover', 'f_cover-fmt_auto');
    const record = valid.key as NonNullable<SigningVector['key']>;
    const sig = signPath({ secret: Buffer.from(record.secret, 'base64'), path, exp: valid.exp, tenantScope: '' });
    const autoVector = { ...valid, path, sig };
    const cacheKeys: (string | undefined)[] = [];
    for (const accept of ['image/avif,image/webp,*/*', 'image/webp,*/*', '*/*', 'image/avif;q=0,image/webp;q=0']) {
      const { worker, forwarded } = harness(valid.now);
      await worker.fetch(new Request(urlFor(autoVector), { headers: { accept } }), envFor(autoVector));
      cacheKeys.push(forwarded[0]?.init?.cf?.cacheKey);
    }
    const base = `https://img.cdn.example${path}`;
    expect(cacheKeys).toEqual([`${base}#accept=avif,webp`, `${base}#accept=webp`, `${base}#accept=basic`, `${base}#accept=basic`]);
  });

  it('passes public paths and other methods through without checks', async () => {
    const { worker, forwarded } = harness(valid.now);
    const env = envFor(valid);
    expect((await worker.fetch(new Request('https://img.cdn.example/v1/pub/acme/w/m/img/a/v1/original.jpg'), env)).status).toBe(200);
    expect((await worker.fetch(new Request(`https://img.cdn.example${valid.path}`, { method: 'POST', body: 'x' }), env)).status).toBe(200);
    expect(forwarded.map(({ init }) => init)).toEqual([undefined, undefined]);
  });

  it('treats an unreadable key record as an unknown key', async () => {
    for (const record of ['not json', '{"secret":"%%%","tenantScope":"","status":"active","graceUntil":null,"pathPrefix":"/v1/priv/acme/"}', '{"status":"active"}']) {
      const { worker, forwarded } = harness(valid.now);
      const env: EdgeEnv = { SIGNING_KEYS: { get: async () => record } };
      const response = await worker.fetch(new Request(urlFor(valid)), env);
      expect(response.status).toBe(401);
      expect(forwarded).toHaveLength(0);
    }
  });
});

describe('edge worker: a valid signed URL with any one character changed', () => {
  it('is rejected and never forwarded', async () => {
    const { worker, forwarded } = harness(valid.now);
    const env = envFor(valid);
    const pathAndQuery = `${valid.path}?${vectorQuery(valid)}`;
    for (const mutated of oneCharacterMutations(pathAndQuery)) {
      if (!mutated.startsWith('/v1/priv/')) continue; // no longer a private path: not the edge's to judge
      const response = await worker.fetch(new Request(`https://img.cdn.example${mutated}`), env);
      expect([401, 403], mutated).toContain(response.status);
    }
    expect(forwarded).toHaveLength(0);
  });
});
