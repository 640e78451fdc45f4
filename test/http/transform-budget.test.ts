/**
 * Transforms are bounded before any pixel work: output pixels after `up`/dpr (max_output_pixels)
 * and the estimated cost of expensive operations (max_transform_cost) are refused with a 400 naming
 * the limit within milliseconds, and the time budget counts from the request's arrival, queue wait
 * included, so hostile requests neither hold the queue nor make legitimate ones wait behind them.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssetView } from '../../platform/assets/asset-service.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createOrganization, setPolicy, type TestOrganization, type TestTenant } from '../support/tenancy.ts';
import { expectError, flatPicture, imageUrl, tallStrip, uploadAsset, type ImageAddress } from './delivery-fixtures.ts';

let server: TestApp;
let org: TestOrganization;
let tall: ImageAddress;
let panorama: ImageAddress;
let photo: ImageAddress;

async function timed(url: string): Promise<{ response: Response; ms: number }> {
  const started = performance.now();
  const response = await fetch(url);
  await response.clone().arrayBuffer();
  return { response, ms: performance.now() - started };
}

function address(tenant: TestTenant, asset: AssetView): ImageAddress {
  return { baseUrl: server.baseUrl, org, tenant, asset };
}

beforeAll(async () => {
  // One transform at a time, so queueing behind hostile requests would show.
  server = await startTestApp({ config: { maxConcurrentTransforms: 1 } });
  org = await createOrganization(server.platform, 'budget');
  const [tenant, other] = org.tenants;
  tall = address(tenant, await uploadAsset(server.baseUrl, tenant, await tallStrip()));
  const wide = await sharp({ create: { width: 16_000, height: 1000, channels: 3, background: '#406080' } }).png().toBuffer();
  panorama = address(tenant, await uploadAsset(server.baseUrl, tenant, wide));
  photo = address(other, await uploadAsset(server.baseUrl, other, await flatPicture(400, 300, '#aa3311')));
});
afterAll(() => server?.close());

describe('the transform budget', () => {
  it('refuses 1x50000 at w_300-up-blur_50 with a 400 naming max_output_pixels, in milliseconds', async () => {
    const { response, ms } = await timed(imageUrl(tall, 'w_300-up-blur_50.png'));
    const body = await expectError(response, 400);
    expect(body).toMatchObject({ error: 'invalid_ops', detail: { limit: 'max_output_pixels', value: 4_500_000_000 } });
    expect(body.message).toContain('max_output_pixels');
    expect(ms).toBeLessThan(1_000);
  });

  it('refuses a 16000x1000 panorama at h_4096-up-blur_50 the same way', async () => {
    const { response, ms } = await timed(imageUrl(panorama, 'h_4096-up-blur_50.png'));
    expect(await expectError(response, 400)).toMatchObject({ detail: { limit: 'max_output_pixels' } });
    expect(ms).toBeLessThan(1_000);
  });

  it('refuses an expensive blur over many pixels by max_transform_cost, and serves the same blur on a small output', async () => {
    const { response, ms } = await timed(imageUrl(panorama, 'w_4096-h_4096-f_fill-blur_1000.png'));
    expect(await expectError(response, 400)).toMatchObject({ detail: { limit: 'max_transform_cost', dominant: 'blur_1000' } });
    expect(ms).toBeLessThan(1_000);
    expect((await fetch(imageUrl(panorama, 'w_64-blur_20.png'))).status).toBe(200);
  });

  it('refuses png8 and lossless WebP of a large output by max_transform_cost (they would run past the deadline), and serves them small', async () => {
    for (const [ops, dominant] of [['w_4096-h_4096-f_fill-png8.png', 'png8 encoding'], ['w_4096-h_4096-f_fill-lossless.webp', 'lossless webp encoding']]) {
      const { response, ms } = await timed(imageUrl(panorama, ops!));
      expect(await expectError(response, 400), ops).toMatchObject({ detail: { limit: 'max_transform_cost', dominant } });
      expect(ms).toBeLessThan(1_000);
    }
    for (const ops of ['w_64-png8.png', 'w_64-lossless.webp']) expect((await fetch(imageUrl(panorama, ops))).status, ops).toBe(200);
  });

  it('applies a space policy max_output_pixels (a limit) to the size after the fit', async () => {
    const [, other] = org.tenants;
    await setPolicy(server.platform, { organizationId: org.id, tenantId: other.id, spaceId: other.spaceId }, 'max_output_pixels', 40_000);
    try {
      expect((await fetch(imageUrl(photo, 'w_200.png'))).status).toBe(200); // 200x150 = 30000
      const body = await expectError(await fetch(imageUrl(photo, 'w_400-h_400-f_contain.png')), 400); // 160000
      expect(body).toMatchObject({ detail: { limit: 'max_output_pixels', value: 160_000, maximum: 40_000 } });
    } finally {
      await setPolicy(server.platform, { organizationId: org.id, tenantId: other.id, spaceId: other.spaceId }, 'max_output_pixels', 50_000_000);
    }
  });

  it('answers a legitimate new variant without waiting behind three hostile ones', async () => {
    const hostile = ['w_300-up-blur_50', 'w_301-up-blur_50', 'w_302-up-blur_50'].map((ops) => timed(imageUrl(tall, `${ops}.png`)));
    const legitimate = timed(imageUrl(photo, 'w_120-q_70.jpg'));
    for (const { response, ms } of await Promise.all(hostile)) {
      expect(response.status).toBe(400);
      expect(ms).toBeLessThan(1_000);
    }
    expect((await legitimate).response.status).toBe(200);
  });
});

describe('the transform deadline', () => {
  it('counts from arrival: a request queued behind a slow one answers 503 at its own deadline, not after both', async () => {
    const [tenant] = org.tenants;
    await setPolicy(server.platform, { organizationId: org.id, tenantId: tenant.id, spaceId: tenant.spaceId }, 'transform_timeout_ms', 1500);
    // Within the budget (30 x 1500000 px) but far slower than 1.5 s: these are killed at the deadline.
    const first = timed(imageUrl(tall, 'w_30-up-blur_50.png'));
    const queued = timed(imageUrl(tall, 'w_31-up-blur_50.png'));
    const [a, b] = await Promise.all([first, queued]);
    expect((await expectError(a.response, 503)).error).toBe('timeout');
    expect(a.response.headers.get('retry-after')).toBe('1');
    expect((await expectError(b.response, 503)).message).toContain('1500 ms');
    // Counted from its turn in the queue it would have answered after about 3 s.
    expect(b.ms).toBeLessThan(2_400);
    expect((await server.platform.metrics.transformsKilled.get()).values[0]?.value).toBeGreaterThanOrEqual(1);
  });
});
