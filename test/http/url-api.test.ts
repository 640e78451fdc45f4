/**
 * Issue 13's URL API against the running server: decimals in the path for every op that takes
 * one, the new operations checked on decoded pixels, their 400s, client hints with Accept-CH and
 * Vary, and the JPEG encoder and progressive default chosen by policy.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createOrganization, setPolicy, type TestOrganization } from '../support/tenancy.ts';
import { expectError, fetchImage, imageUrl, pixelAt, quadrantPicture, uploadAsset, type ImageAddress } from './delivery-fixtures.ts';

let server: TestApp;
let org: TestOrganization;
/** 400x250 opaque PNG, red top-left quadrant on blue. */
let photo: ImageAddress;
/** 60x40 white PNG with a 20x10 green block at (10, 20). */
let framedLogo: ImageAddress;
/** The same photo in a second tenant whose policy picks mozjpeg and progressive JPEG. */
let policyPhoto: ImageAddress;

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'url-api');
  const [tenant, other] = [org.tenants[0], org.tenants[1] ?? org.tenants[0]];
  const base = { baseUrl: server.baseUrl, org, tenant };
  photo = { ...base, asset: await uploadAsset(server.baseUrl, tenant, await quadrantPicture(400, 250)) };
  const block = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#00ff00' } }).png().toBuffer();
  const logo = await sharp({ create: { width: 60, height: 40, channels: 3, background: '#ffffff' } })
    .composite([{ input: block, left: 10, top: 20 }]).removeAlpha().png().toBuffer();
  framedLogo = { ...base, asset: await uploadAsset(server.baseUrl, tenant, logo) };
  await setPolicy(server.platform, { organizationId: org.id, tenantId: other.id, spaceId: other.spaceId }, 'jpeg_encoder', 'mozjpeg');
  await setPolicy(server.platform, { organizationId: org.id, tenantId: other.id, spaceId: other.spaceId }, 'jpeg_progressive', true);
  policyPhoto = { baseUrl: server.baseUrl, org, tenant: other, asset: await uploadAsset(server.baseUrl, other, await quadrantPicture(400, 250)) };
});
afterAll(async () => {
  await server?.close();
});

describe('decimals in the path', () => {
  it.each([
    ['w_200-dpr_1.5.jpg', 300, 188],
    ['w_100-dpr_2.25.webp', 225, 141],
    ['w_100-blur_0.5.png', 100, 63],
    ['w_100-sharpen_1.5.jpg', 100, 63],
    ['w_100-ar_1.91:1.jpg', 100, 52],
    ['w_50-bri_1.25.png', 50, 31],
    ['w_50-con_1.5.png', 50, 31],
    ['w_50-sat_0.5.png', 50, 31],
    ['w_50-gam_2.2.png', 50, 31],
    ['rect_0.5,0.5,0.5,0.5.png', 200, 125],
    ['w_100-h_100-fp_0.25,0.75.png', 100, 100],
  ])('GET %s answers 200 at %ix%i', async (file, width, height) => {
    const { metadata } = await fetchImage(imageUrl(photo, file));
    expect([metadata.width, metadata.height]).toEqual([width, height]);
  });

  it('still rejects a file name whose only dot is inside a number', async () => {
    const body = await expectError(await fetch(imageUrl(photo, 'w_200-dpr_1.5')), 400);
    expect(body).toMatchObject({ error: 'bad_request', detail: { segment: 'w_200-dpr_1.5' } });
  });
});

describe('new operations, decoded', () => {
  it('rect_ crops the original before resizing; pixel and fraction spellings are one variant', async () => {
    const pixels = await fetchImage(imageUrl(photo, 'rect_0,0,200,125-w_20.png'));
    const fractions = await fetchImage(imageUrl(photo, 'rect_0.0,0.0,0.5,0.5-w_20.png'));
    expect([pixels.metadata.width, pixels.metadata.height]).toEqual([20, 13]);
    expect(await pixelAt(pixels.bytes, 0, 0)).toEqual([255, 0, 0]);
    expect(await pixelAt(pixels.bytes, 19, 12)).toEqual([255, 0, 0]);
    expect(fractions.response.headers.get('etag')).toBe(pixels.response.headers.get('etag'));
  });

  it('fp_ keeps the focal point in a cover crop', async () => {
    const red = await fetchImage(imageUrl(photo, 'w_50-h_100-fp_0.1,0.1.png'));
    const blue = await fetchImage(imageUrl(photo, 'w_50-h_100-fp_0.9,0.1.png'));
    expect(await pixelAt(red.bytes, 25, 25)).toEqual([255, 0, 0]);
    expect(await pixelAt(blue.bytes, 25, 25)).toEqual([0, 0, 255]);
  });

  it('ar_ derives the other side for a cover crop', async () => {
    const { metadata } = await fetchImage(imageUrl(photo, 'h_90-ar_16:9.jpg'));
    expect([metadata.width, metadata.height]).toEqual([160, 90]);
  });

  it('trim and trim_{threshold} remove the white frame', async () => {
    for (const file of ['trim.png', 'trim_30.png']) {
      const { bytes, metadata } = await fetchImage(imageUrl(framedLogo, file));
      expect([metadata.width, metadata.height]).toEqual([20, 10]);
      expect(await pixelAt(bytes, 10, 5)).toEqual([0, 255, 0]);
    }
  });

  it('ext_ adds b_ borders after resizing', async () => {
    const { bytes, metadata } = await fetchImage(imageUrl(photo, 'w_40-ext_2,4,6,8-b_ffff00.png'));
    expect([metadata.width, metadata.height]).toEqual([52, 33]);
    expect(await pixelAt(bytes, 0, 0)).toEqual([255, 255, 0]);
    expect(await pixelAt(bytes, 9, 3)).toEqual([255, 0, 0]);
  });

  it('colour adjustments change the pixels: sat_0 greys, hue_ turns, tint_ colours, bri_ brightens', async () => {
    const [r, g, b] = await pixelAt((await fetchImage(imageUrl(photo, 'w_40-sat_0.png'))).bytes, 5, 5);
    expect(Math.max(r, g, b) - Math.min(r, g, b)).toBeLessThan(4);
    const turned = await pixelAt((await fetchImage(imageUrl(photo, 'w_40-hue_120.png'))).bytes, 5, 5);
    expect(turned[0]).toBeLessThan(turned[1] + turned[2]);
    const tinted = await pixelAt((await fetchImage(imageUrl(photo, 'w_40-bw-tint_00ff00.png'))).bytes, 35, 20);
    expect(tinted[1]).toBeGreaterThan(tinted[0] + 20);
    const plain = await fetchImage(imageUrl(photo, 'w_40.png'));
    const [, , blue] = await pixelAt(plain.bytes, 35, 20);
    const [, , darkerBlue] = await pixelAt((await fetchImage(imageUrl(photo, 'w_40-bri_0.5.png'))).bytes, 35, 20);
    expect(darkerBlue).toBeLessThan(blue - 20);
    const adjusted = await fetchImage(imageUrl(photo, 'w_40-con_2-gam_1.5-norm.png'));
    expect(adjusted.metadata.width).toBe(40);
    expect(adjusted.response.headers.get('etag')).not.toBe(plain.response.headers.get('etag'));
  });

  it('prog, png8 and lossless change the encoding', async () => {
    expect((await fetchImage(imageUrl(photo, 'w_64-prog.jpg'))).metadata.isProgressive).toBe(true);
    expect((await fetchImage(imageUrl(photo, 'w_64.jpg'))).metadata.isProgressive).toBe(false);
    expect((await fetchImage(imageUrl(photo, 'w_64-png8.png'))).metadata.isPalette).toBe(true);
    const lossless = await fetchImage(imageUrl(photo, 'w_40-lossless.webp'));
    expect(await pixelAt(lossless.bytes, 5, 5)).toEqual([255, 0, 0]);
  });
});

describe('errors', () => {
  it('a rectangle outside the image is a 400 saying so, before any transform', async () => {
    const body = await expectError(await fetch(imageUrl(photo, 'rect_300,0,200,100.jpg')), 400);
    expect(body).toMatchObject({ error: 'invalid_ops', detail: { token: 'rect_300,0,200,100' } });
    expect(body.message).toContain('outside the image, which is 400x250 pixels');
  });

  it.each(['bri_11', 'gam_0.1', 'tint_ff000080', 'ext_1,2,3', 'fp_2,0', 'ar_0:1', 'hue_360', 'trim_x', 'w_auto'])(
    '%s is a 400 invalid_ops naming the token',
    async (token) => {
      const body = await expectError(await fetch(imageUrl(photo, `${token}.jpg`)), 400);
      expect(body).toMatchObject({ error: 'invalid_ops', detail: { token } });
    },
  );
});

describe('client hints', () => {
  it('w_auto takes Sec-CH-Width, with Accept-CH and Vary naming the hints read', async () => {
    const { response, metadata } = await fetchImage(imageUrl(photo, 'ch-w_auto.jpg'), { headers: { 'sec-ch-width': '120' } });
    expect(metadata.width).toBe(120);
    expect(response.headers.get('accept-ch')).toBe('Sec-CH-DPR, Sec-CH-Width');
    expect(response.headers.get('vary')).toBe('Sec-CH-Width, Save-Data');
  });

  it('Sec-CH-DPR scales w_, and the answer is the same variant as the explicit size', async () => {
    const hinted = await fetchImage(imageUrl(photo, 'ch-w_100.jpg'), { headers: { 'sec-ch-dpr': '2' } });
    const explicit = await fetchImage(imageUrl(photo, 'w_200.jpg'));
    expect(hinted.metadata.width).toBe(200);
    expect(hinted.response.headers.get('etag')).toBe(explicit.response.headers.get('etag'));
    expect(hinted.response.headers.get('vary')).toBe('Sec-CH-DPR, Save-Data');
    expect(explicit.response.headers.get('vary')).toBeNull();
    expect(explicit.response.headers.get('accept-ch')).toBeNull();
  });

  it('Save-Data: on answers a smaller, lower-quality JPEG', async () => {
    const normal = await fetchImage(imageUrl(photo, 'ch-w_300-blur_1.jpg'));
    const saving = await fetchImage(imageUrl(photo, 'ch-w_300-blur_1.jpg'), { headers: { 'save-data': 'on' } });
    expect(saving.response.headers.get('etag')).not.toBe(normal.response.headers.get('etag'));
    expect(saving.bytes.length).toBeLessThan(normal.bytes.length);
  });

  it('negotiated and hinted: Vary lists Accept and the hints', async () => {
    const { response } = await fetchImage(imageUrl(photo, 'ch-w_50-fmt_auto.jpg'), { headers: { accept: 'image/webp' } });
    expect(response.headers.get('vary')).toBe('Accept, Sec-CH-DPR, Save-Data');
  });
});

describe('JPEG encoder and progressive default by policy', () => {
  it('mozjpeg with progressive by default makes a different, progressive file of the same picture', async () => {
    const turbo = await fetchImage(imageUrl(photo, 'w_300-blur_0.8.jpg'));
    const mozjpeg = await fetchImage(imageUrl(policyPhoto, 'w_300-blur_0.8.jpg'));
    expect(turbo.metadata.isProgressive).toBe(false);
    expect(mozjpeg.metadata.isProgressive).toBe(true);
    expect(mozjpeg.bytes.equals(turbo.bytes)).toBe(false);
    const [r] = await pixelAt(mozjpeg.bytes, 20, 20);
    expect(r).toBeGreaterThan(230);
  });
});
