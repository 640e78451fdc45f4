/**
 * AVIF without the wait: when `fmt_auto` picks AVIF for a variant that is not rendered yet and its
 * estimated transform is over `avif_first_response_budget_ms`, the first answers are the next
 * format the client takes, briefly cached and varying on Accept, while the AVIF renders in the
 * background once (per process and across instances); then the AVIF is answered, immutable.
 * Explicit `.avif` / `fmt_avif` always render inline.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../platform/platform.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile } from '../support/http.ts';
import { redisUrlIfAvailable } from '../support/services.ts';
import { createOrganization, setPolicy, type TestOrganization } from '../support/tenancy.ts';
import { fetchImage, imageUrl, uploadAsset, type ImageAddress } from './delivery-fixtures.ts';

const BROWSER = 'image/avif,image/webp,image/apng,*/*;q=0.8';
const IMMUTABLE = 'public, max-age=31536000, immutable';

async function avifTransforms(platform: Platform): Promise<number> {
  const metric = await platform.metrics.transforms.get();
  return metric.values.filter((sample) => sample.labels.format === 'avif').reduce((sum, sample) => sum + sample.value, 0);
}

async function get(address: ImageAddress, file: string, accept = BROWSER) {
  const { response, metadata } = await fetchImage(imageUrl(address, file), { headers: { accept } });
  return { type: response.headers.get('content-type'), cacheControl: response.headers.get('cache-control'), vary: response.headers.get('vary'), metadata };
}

describe('fmt_auto with a slow AVIF', () => {
  let server: TestApp;
  let org: TestOrganization;
  /** A space whose budget is 0: every AVIF not rendered yet is answered by a stand-in first. */
  let eager: ImageAddress;
  /** Default policy (800 ms): small AVIFs inline, large ones stood in for. */
  let defaults: ImageAddress;

  beforeAll(async () => {
    server = await startTestApp();
    org = await createOrganization(server.platform, 'avif-stand-in');
    const [tenant, other] = [org.tenants[0]!, org.tenants[1] ?? org.tenants[0]!];
    const photo = await corpusFile('2569067123_aca715a2ee_o.jpg');
    await setPolicy(server.platform, { organizationId: org.id, tenantId: tenant.id, spaceId: tenant.spaceId }, 'avif_first_response_budget_ms', 0);
    await setPolicy(server.platform, { organizationId: org.id, tenantId: tenant.id, spaceId: tenant.spaceId }, 'avif_stand_in_max_age_seconds', 30);
    eager = { baseUrl: server.baseUrl, org, tenant, asset: await uploadAsset(server.baseUrl, tenant, await corpusFile('320x240.jpg')) };
    defaults = { baseUrl: server.baseUrl, org, tenant: other, asset: await uploadAsset(server.baseUrl, other, photo) };
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers WebP first, briefly cached and varying on Accept, then the AVIF rendered once, immutable', async () => {
    const before = await avifTransforms(server.platform);
    const first = await get(eager, 'w_200-fmt_auto.jpg');
    expect(first).toMatchObject({ type: 'image/webp', cacheControl: 'public, max-age=30' });
    expect(first.metadata).toMatchObject({ format: 'webp', width: 200 });
    expect(first.vary).toContain('Accept');
    // Asked again while the AVIF may still be rendering: a stand-in again, never a second render.
    const again = await get(eager, 'w_200-fmt_auto.jpg');
    expect(['image/webp', 'image/avif']).toContain(again.type);
    await server.platform.variants.settled();
    const later = await get(eager, 'w_200-fmt_auto.jpg');
    expect(later).toMatchObject({ type: 'image/avif', cacheControl: IMMUTABLE });
    expect(later.metadata).toMatchObject({ format: 'heif', compression: 'av1', width: 200 });
    expect(later.vary).toContain('Accept');
    expect((await avifTransforms(server.platform)) - before).toBe(1);
  });

  it('stands in with JPEG for a client that takes AVIF but not WebP', async () => {
    const first = await get(eager, 'w_150-fmt_auto.jpg', 'image/avif,*/*');
    expect(first).toMatchObject({ type: 'image/jpeg', cacheControl: 'public, max-age=30' });
    await server.platform.variants.settled();
    expect((await get(eager, 'w_150-fmt_auto.jpg', 'image/avif,*/*')).type).toBe('image/avif');
  });

  it('renders an explicit fmt_avif or .avif inline, whatever the budget', async () => {
    expect(await get(eager, 'w_120-fmt_avif.jpg')).toMatchObject({ type: 'image/avif', cacheControl: IMMUTABLE });
    expect(await get(eager, 'w_130.avif')).toMatchObject({ type: 'image/avif', cacheControl: IMMUTABLE });
  });

  it('leaves clients that do not take AVIF alone', async () => {
    expect(await get(eager, 'w_110-fmt_auto.jpg', 'image/webp,*/*')).toMatchObject({ type: 'image/webp', cacheControl: IMMUTABLE });
  });

  it('under the default budget renders a small AVIF inline and stands in for a 1600 px one', async () => {
    expect(await get(defaults, 'w_320-fmt_auto.jpg')).toMatchObject({ type: 'image/avif', cacheControl: IMMUTABLE });
    const large = await get(defaults, 'w_1600-fmt_auto.jpg');
    expect(large).toMatchObject({ type: 'image/webp', cacheControl: 'public, max-age=60' });
    await server.platform.variants.settled();
    expect(await get(defaults, 'w_1600-fmt_auto.jpg')).toMatchObject({ type: 'image/avif', cacheControl: IMMUTABLE });
  });
});

const redisUrl = await redisUrlIfAvailable();
if (!redisUrl) console.warn('avif-stand-in: no Redis answers, so the across-instances test is skipped');

describe.skipIf(!redisUrl)('fmt_auto with a slow AVIF, two instances', () => {
  let storageDir: string;
  let first: TestApp;
  let second: TestApp;
  let address: (app: TestApp) => ImageAddress;

  beforeAll(async () => {
    storageDir = await mkdtemp(path.join(tmpdir(), 'imgplane-avif-stand-in-'));
    const storage = { kind: 'local' as const, dir: storageDir };
    [first, second] = await Promise.all([startTestApp({ redisUrl, storage }), startTestApp({ redisUrl, storage })]);
    const org = await createOrganization(first.platform, 'avif-two');
    const tenant = org.tenants[0]!;
    await setPolicy(first.platform, { organizationId: org.id, tenantId: tenant.id, spaceId: tenant.spaceId }, 'avif_first_response_budget_ms', 0);
    const asset = await uploadAsset(first.baseUrl, tenant, await corpusFile('320x240.jpg'));
    address = (app) => ({ baseUrl: app.baseUrl, org, tenant, asset });
  });
  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
    await rm(storageDir, { recursive: true, force: true });
  });

  it('renders the AVIF once across both, and both then answer it', async () => {
    const before = (await avifTransforms(first.platform)) + (await avifTransforms(second.platform));
    const answers = await Promise.all([get(address(first), 'w_180-fmt_auto.jpg'), get(address(second), 'w_180-fmt_auto.jpg')]);
    expect(answers.map((answer) => answer.type)).toEqual(['image/webp', 'image/webp']);
    await Promise.all([first.platform.variants.settled(), second.platform.variants.settled()]);
    for (const app of [first, second]) expect((await get(address(app), 'w_180-fmt_auto.jpg')).type).toBe('image/avif');
    const after = (await avifTransforms(first.platform)) + (await avifTransforms(second.platform));
    expect(after - before).toBe(1);
  });
});
