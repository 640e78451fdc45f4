/**
 * The image URL API against the running server, once per storage backend (local disk and S3 via
 * s3rver): output verified by decoding, canonical equivalence, negotiation, caching headers and
 * layers, errors, tenancy, presets, flip/flop, usage and single-flight.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorageConfig } from '../../core/storage/config.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { responseBytes } from '../support/http.ts';
import { startS3Server, type S3TestServer } from '../support/s3-server.ts';
import { createOrganization, PLATFORM_ADMIN, setPolicy, type TestOrganization } from '../support/tenancy.ts';
import { withClaims } from '../../platform/request-context.ts';
import {
  expectError,
  fetchImage,
  flatPicture,
  imagePath,
  imageUrl,
  pixelAt,
  quadrantPicture,
  s3StorageConfig,
  transformCount,
  uploadAsset,
  type ImageAddress,
} from './delivery-fixtures.ts';

const STRONG_ETAG = /^"[0-9a-f]{64}"$/;
const AVIF_AND_WEBP = 'image/avif,image/webp,image/apng,*/*;q=0.8';

interface Backend {
  storage: StorageConfig;
  close(): Promise<void>;
}

async function startBackend(kind: 'local' | 's3'): Promise<Backend> {
  if (kind === 's3') {
    const s3: S3TestServer = await startS3Server();
    return { storage: s3StorageConfig(s3), close: () => s3.close() };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'imgplane-delivery-'));
  return { storage: { kind: 'local', dir }, close: () => rm(dir, { recursive: true, force: true }) };
}

describe.each(['local', 's3'] as const)('delivery with %s storage', (kind) => {
  let backend: Backend;
  let server: TestApp;
  let org: TestOrganization;
  /** 400x250 opaque PNG, red top-left quadrant on blue. */
  let photo: ImageAddress;
  /** 200x100 PNG with alpha. */
  let translucent: ImageAddress;

  beforeAll(async () => {
    backend = await startBackend(kind);
    server = await startTestApp({ storage: backend.storage });
    org = await createOrganization(server.platform, `delivery-${kind}`);
    const tenant = org.tenants[0];
    const base = { baseUrl: server.baseUrl, org, tenant };
    const opaqueAsset = await uploadAsset(server.baseUrl, tenant, await quadrantPicture(400, 250));
    const alphaAsset = await uploadAsset(server.baseUrl, tenant, await flatPicture(200, 100, '#ff000080', 'png'));
    expect([opaqueAsset.hasAlpha, alphaAsset.hasAlpha]).toEqual([false, true]);
    photo = { ...base, asset: opaqueAsset };
    translucent = { ...base, asset: alphaAsset };
  });
  afterAll(async () => {
    await server?.close();
    await backend?.close();
  });

  describe('output', () => {
    it.each([
      ['cover', 'jpg', 'jpeg', 100, 100],
      ['contain', 'png', 'png', 100, 100],
      ['fill', 'webp', 'webp', 100, 100],
      ['inside', 'avif', 'heif', 100, 63],
      ['outside', 'gif', 'gif', 160, 100],
      ['pad', 'jpg', 'jpeg', 100, 100],
    ])('f_%s into a 100x100 box as .%s decodes as %s at %ix%i', async (fit, extension, decodedFormat, width, height) => {
      const { response, metadata } = await fetchImage(imageUrl(photo, `w_100-h_100-f_${fit}.${extension}`));
      expect(metadata).toMatchObject({ format: decodedFormat, width, height });
      expect(response.headers.get('content-type')).toBe(`image/${extension === 'jpg' ? 'jpeg' : extension}`);
    });

    it('letterboxes pad with the b_ colour and contain with transparency', async () => {
      const padded = await fetchImage(imageUrl(photo, 'w_100-h_100-f_pad-b_00ff00.png'));
      expect(await pixelAt(padded.bytes, 50, 2)).toEqual([0, 255, 0]);
      const contained = await fetchImage(imageUrl(photo, 'w_100-h_100-f_contain.png'));
      const { data } = await sharp(contained.bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      expect(data[(2 * 100 + 50) * 4 + 3]).toBe(0);
    });

    it('never enlarges unless up is given', async () => {
      expect((await fetchImage(imageUrl(photo, 'w_800.png'))).metadata.width).toBe(400);
      expect((await fetchImage(imageUrl(photo, 'w_800-up.png'))).metadata).toMatchObject({ width: 800, height: 500 });
    });

    it('flip mirrors top-to-bottom and flop left-to-right', async () => {
      const red = [255, 0, 0];
      const blue = [0, 0, 255];
      const corners = async (ops: string) => {
        const { bytes } = await fetchImage(imageUrl(photo, `${ops}.png`));
        return { topLeft: await pixelAt(bytes, 50, 30), bottomLeft: await pixelAt(bytes, 50, 220), topRight: await pixelAt(bytes, 350, 30) };
      };
      expect(await corners('r_0')).toEqual({ topLeft: red, bottomLeft: blue, topRight: blue });
      expect(await corners('flip')).toEqual({ topLeft: blue, bottomLeft: red, topRight: blue });
      expect(await corners('flop')).toEqual({ topLeft: blue, bottomLeft: blue, topRight: red });
    });

    it('answers HEAD with the GET headers and no body', async () => {
      const url = imageUrl(photo, 'w_120.webp');
      const get = await fetch(url);
      const body = await responseBytes(get);
      expect(get.headers.get('content-length')).toBe(String(body.length));
      const head = await fetch(url, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(body.length));
      expect(head.headers.get('etag')).toBe(get.headers.get('etag'));
      expect(head.headers.get('content-type')).toBe('image/webp');
      expect((await responseBytes(head)).length).toBe(0);
    });
  });

  describe('canonical variants and caching', () => {
    it('serves h_60-w_80 and w_80-h_60 as one variant: same ETag, later requests cache hits, from memory from the third', async () => {
      const first = await fetch(imageUrl(photo, 'h_60-w_80.jpg'));
      expect(first.headers.get('x-cache')).toBe('miss');
      const second = await fetch(imageUrl(photo, 'w_80-h_60.jpg'));
      // The memory cache keeps a variant from its second request on: this one came from below it.
      expect(['hit-redis', 'hit-storage']).toContain(second.headers.get('x-cache'));
      expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
      const thirdSpelling = await fetch(imageUrl(photo, 'w_40-h_30-dpr_2-f_cover-q_auto.jpg'));
      expect(thirdSpelling.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(thirdSpelling.headers.get('x-cache')).toBe('hit-memory');
    });

    it('sends a strong ETag, immutable Cache-Control for pub, Server-Timing on a miss, and 304 on If-None-Match', async () => {
      const url = imageUrl(photo, 'w_90-bw.png');
      const miss = await fetch(url);
      const etag = miss.headers.get('etag') ?? '';
      expect(etag).toMatch(STRONG_ETAG);
      expect(miss.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(miss.headers.get('x-cache')).toBe('miss');
      expect(miss.headers.get('server-timing')).toMatch(/transform;dur=\d/);
      expect(miss.headers.get('vary')).toBeNull();

      const notModified = await fetch(url, { headers: { 'if-none-match': etag } });
      expect(notModified.status).toBe(304);
      expect(notModified.headers.get('etag')).toBe(etag);
      expect((await responseBytes(notModified)).length).toBe(0);
      expect((await fetch(url, { headers: { 'if-none-match': '"0000"' } })).status).toBe(200);
    });

    it('answers hit-storage from a restarted server on the same database and storage', async () => {
      const file = 'w_70-blur_2.webp';
      const before = await fetchImage(imageUrl(photo, file));
      const restarted = await startTestApp({ storage: backend.storage });
      try {
        const after = await fetchImage(imageUrl({ ...photo, baseUrl: restarted.baseUrl }, file));
        expect(after.response.headers.get('x-cache')).toBe('hit-storage');
        expect(after.response.headers.get('etag')).toBe(before.response.headers.get('etag'));
        expect(after.bytes.equals(before.bytes)).toBe(true);
        expect(await transformCount(restarted.platform)).toBe(0);
      } finally {
        await restarted.close();
      }
    });

    it('renders 50 concurrent requests for one new variant once, with 50 identical answers', async () => {
      const transformsBefore = await transformCount(server.platform);
      const url = imageUrl(photo, 'w_123-sharpen_1.webp');
      const responses = await Promise.all(Array.from({ length: 50 }, () => fetch(url)));
      const bodies = await Promise.all(responses.map(responseBytes));
      expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
      expect(new Set(responses.map((response) => response.headers.get('etag'))).size).toBe(1);
      expect(bodies.every((body) => body.equals(bodies[0]!))).toBe(true);
      expect((await transformCount(server.platform)) - transformsBefore).toBe(1);
    });
  });

  describe('fmt_auto', () => {
    it.each([
      [AVIF_AND_WEBP, 'image/avif'],
      ['image/webp,*/*', 'image/webp'],
      ['*/*', 'image/jpeg'],
    ])('with Accept %s answers %s and Vary: Accept', async (accept, contentType) => {
      const response = await fetch(imageUrl(photo, 'w_64-fmt_auto.jpg'), { headers: { accept } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(contentType);
      expect(response.headers.get('vary')).toBe('Accept');
      const metadata = await sharp(await responseBytes(response)).metadata();
      expect(metadata.width).toBe(64);
    });

    it('keeps PNG for an alpha source when neither AVIF nor WebP is accepted', async () => {
      const { response, metadata } = await fetchImage(imageUrl(translucent, 'w_50-fmt_auto.jpg'), { headers: { accept: 'image/png,*/*' } });
      expect(response.headers.get('content-type')).toBe('image/png');
      expect(metadata.hasAlpha).toBe(true);
    });
  });

  describe('errors', () => {
    async function expectInvalidToken(file: string, token: string, address = photo): Promise<void> {
      const body = await expectError(await fetch(imageUrl(address, file)), 400);
      expect(body.detail?.token).toBe(token);
    }

    it.each([
      ['w_abc.jpg', 'w_abc'],
      ['zoom_2.jpg', 'zoom_2'],
      ['w_10-w_20.jpg', 'w_20'],
      ['w_99999.jpg', 'w_99999'],
      ['q_0.jpg', 'q_0'],
      ['f_stretch.jpg', 'f_stretch'],
      ['w_10--h_10.jpg', ''],
      ['w_100.bmp', '.bmp'],
    ])('answers 400 for %s naming "%s"', async (file, token) => {
      await expectInvalidToken(file, token);
    });

    it('answers 400 when a URL exceeds the space policy (max_width, allowed_formats)', async () => {
      const tenant = org.tenants[1];
      const asset = await uploadAsset(server.baseUrl, tenant, await flatPicture(300, 200, '#202080'));
      const limited = { baseUrl: server.baseUrl, org, tenant, asset };
      const scope = { organizationId: org.id, tenantId: tenant.id, spaceId: tenant.spaceId };
      await setPolicy(server.platform, scope, 'max_width', 2000);
      await setPolicy(server.platform, scope, 'allowed_formats', ['jpeg', 'webp']);
      await expectInvalidToken('w_3000.jpg', 'w_3000', limited);
      await expectInvalidToken('w_1000-dpr_3.jpg', 'w_1000', limited);
      await expectInvalidToken('w_100-fmt_gif.jpg', 'fmt_gif', limited);
      await expectInvalidToken('w_100.png', '.png', limited);
      expect((await fetch(imageUrl(limited, 'w_2000-up.webp'))).status).toBe(200);
    });

    it.each([
      ['a version without its v', (p: string) => p.replace(/\/v1\/w_/, '/1/w_')],
      ['an asset id that is not a UUID', (p: string) => p.replace(/img\/[0-9a-f-]{36}/, 'img/12345')],
      ['an extra segment', (p: string) => p.replace('/w_50.jpg', '/extra/w_50.jpg')],
      ['no extension', (p: string) => p.replace('w_50.jpg', 'w_50')],
      ['a bad org slug', (p: string) => p.replace(`/pub/${org.slug}/`, '/pub/Bad_Org!/')],
      ['something else than img', (p: string) => p.replace('/img/', '/image/')],
    ])('answers 400 for a path with %s', async (_name, mangle) => {
      const response = await fetch(`${server.baseUrl}${mangle(imagePath(photo, 'w_50.jpg'))}`);
      await expectError(response, 400);
    });

    it('answers 404 for an unknown asset, a foreign tenant path and a private asset under /pub/', async () => {
      const unknown = { ...photo, asset: { id: '00000000-0000-4000-8000-000000000000', version: 1 } };
      await expectError(await fetch(imageUrl(unknown, 'w_50.jpg')), 404);
      await expectError(await fetch(imageUrl({ ...photo, tenant: org.tenants[1] }, 'w_50.jpg')), 404);
      await expectError(await fetch(imageUrl({ ...photo, asset: { ...photo.asset, version: 9 } }, 'w_50.jpg')), 404);

      const hidden = await uploadAsset(server.baseUrl, photo.tenant, await flatPicture(60, 40, '#777700'), { access: 'private' });
      expect(hidden.access).toBe('private');
      await expectError(await fetch(imageUrl({ ...photo, asset: hidden }, 'w_50.jpg')), 404);
      await expectError(await fetch(imageUrl({ ...photo, asset: hidden, access: 'priv' }, 'w_50.jpg')), 401);
    });
  });

  describe('presets and usage', () => {
    it('resolves preset_thumb from a preset row and answers 400 for an unknown preset', async () => {
      await withClaims(server.platform.pool, PLATFORM_ADMIN, (client) =>
        client.query(`insert into imgplane.presets (organization_id, name, operations) values ($1, 'thumb', $2::jsonb)`, [
          org.id,
          JSON.stringify({ w: 100, h: 100 }),
        ]),
      );
      server.platform.catalog.forgetSpaces();
      const { metadata } = await fetchImage(imageUrl(photo, 'preset_thumb.jpg'));
      expect(metadata).toMatchObject({ width: 100, height: 100 });
      const overridden = await fetchImage(imageUrl(photo, 'preset_thumb-h_50.jpg'));
      expect(overridden.metadata).toMatchObject({ width: 100, height: 50 });
      const body = await expectError(await fetch(imageUrl(photo, 'preset_nope.jpg')), 400);
      expect(body.detail?.token).toBe('preset_nope');
    });

    it('counts every delivery in usage_metrics once flushed', async () => {
      const requests = 5;
      for (let index = 0; index < requests; index += 1) {
        expect((await fetch(imageUrl(photo, 'w_30.jpg'))).status).toBe(200);
      }
      await server.platform.usage.flush();
      const { rows } = await server.db.query<{ request_count: string; cache_hit_count: string }>(
        'select request_count, cache_hit_count from imgplane.usage_metrics where space_id = $1',
        [photo.tenant.spaceId],
      );
      expect(Number(rows[0]?.request_count)).toBeGreaterThanOrEqual(requests);
      expect(Number(rows[0]?.cache_hit_count)).toBeGreaterThanOrEqual(requests - 1);
    });
  });
});
