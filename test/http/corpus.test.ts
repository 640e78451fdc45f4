/**
 * Every file of the shared corpus through the HTTP API: uploaded, then (when accepted) delivered
 * through several op strings. The expectations are the corpus README's, checked by decoding the
 * responses; nothing may ever answer 5xx, and no accepted original may fail to transform.
 */
import { readdir } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../core/policy.ts';
import type { AssetView } from '../../platform/assets/asset-service.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { CORPUS_DIR, corpusFile, upload } from '../support/http.ts';
import { createOrganization, setPolicy, type TestOrganization } from '../support/tenancy.ts';
import { expectError, fetchImage, imageUrl, pixelAt, type DecodedImage } from './delivery-fixtures.ts';

/** Op strings every accepted file is delivered through (format conversion and letterboxing included). */
const COMMON_FILES = ['w_200.jpg', 'w_200.webp', 'w_120-h_120-f_contain.png', 'w_100-fmt_auto.jpg'];

type Deliver = (file: string) => Promise<DecodedImage>;

interface Accepted {
  outcome: 'accepted';
  /** Extra checks of what the README promises for this file. */
  check?: (deliver: Deliver) => Promise<void>;
}
interface Rejected {
  outcome: 'rejected';
  statuses: number[];
}
/** big-height.webp: "a clear 4xx or a bounded result". */
interface Bounded {
  outcome: 'bounded';
}
type Expectation = Accepted | Rejected | Bounded;

const ok: Accepted = { outcome: 'accepted' };
const undecodable: Rejected = { outcome: 'rejected', statuses: [422] };
const overPixelLimit: Rejected = { outcome: 'rejected', statuses: [413, 422] };
const svg: Rejected = { outcome: 'rejected', statuses: [415] };

/** Landscape_1 as delivered at w_60, the reference the other orientations must resemble. */
let uprightReference: Buffer;

async function greyThumbnail(bytes: Buffer): Promise<Buffer> {
  return sharp(bytes).resize(60, 45, { fit: 'fill' }).greyscale().raw().toBuffer();
}

const meanAbsoluteDifference = (a: Buffer, b: Buffer) => a.reduce((sum, value, index) => sum + Math.abs(value - b[index]!), 0) / a.length;

const oriented: Accepted = {
  outcome: 'accepted',
  check: async (deliver) => {
    const { metadata } = await deliver('w_600.jpg');
    expect(metadata).toMatchObject({ width: 600, height: 450 });
    expect(metadata.orientation).toBeUndefined();
    const thumbnail = await greyThumbnail((await deliver('w_60.png')).bytes);
    expect(meanAbsoluteDifference(thumbnail, uprightReference)).toBeLessThan(12);
  },
};

const eightBitOutputs: Accepted = {
  outcome: 'accepted',
  check: async (deliver) => {
    for (const file of ['w_80.jpg', 'w_80.webp', 'w_80.avif']) {
      const { metadata } = await deliver(file);
      expect(metadata.depth, file).toBe('uchar');
    }
  },
};

const srgbEverywhere: Accepted = {
  outcome: 'accepted',
  check: async (deliver) => {
    for (const file of ['w_80.jpg', 'w_80.png', 'w_80.webp', 'w_80.avif', 'w_80.gif']) {
      const { metadata } = await deliver(file);
      expect(metadata.space, file).toBe('srgb');
    }
  },
};

/** Alpha kept in PNG/WebP/AVIF, flattened (white by default) in JPEG. */
function alphaKept(transparentAt?: { x: number; y: number }): Accepted {
  return {
    outcome: 'accepted',
    check: async (deliver) => {
      for (const file of ['w_80.png', 'w_80.webp', 'w_80.avif']) {
        expect((await deliver(file)).metadata.hasAlpha, file).toBe(true);
      }
      const jpeg = await deliver('w_80.jpg');
      expect(jpeg.metadata).toMatchObject({ hasAlpha: false, channels: 3 });
      if (transparentAt) expect(await pixelAt(jpeg.bytes, transparentAt.x, transparentAt.y)).toEqual([255, 255, 255]);
    },
  };
}

const totalDelay = (metadata: Metadata) => (metadata.delay ?? []).reduce((sum, delay) => sum + delay, 0);

/**
 * Animation kept in GIF/WebP: several frames playing as long as the source (the encoders merge
 * identical consecutive frames into one longer frame, so the frame count may drop), first frame in JPEG.
 */
function animated(name: string): Accepted {
  return {
    outcome: 'accepted',
    check: async (deliver) => {
      const source = await sharp(await corpusFile(name), { animated: true }).metadata();
      for (const file of ['w_60.gif', 'w_60.webp']) {
        const { metadata } = await deliver(file);
        expect(metadata.pages, file).toBeGreaterThan(1);
        expect(totalDelay(metadata), file).toBe(totalDelay(source));
      }
      const still = await deliver('w_60.jpg');
      expect(still.metadata.pages ?? 1).toBe(1);
      expect(still.metadata.height).toBe(Math.round((source.pageHeight! * 60) / source.width!));
    },
  };
}

const EXPECTED: Record<string, Expectation> = {
  '2569067123_aca715a2ee_o.jpg': {
    outcome: 'accepted',
    check: async (deliver) => expect((await deliver('w_720.jpg')).metadata).toMatchObject({ width: 720, height: 588 }),
  },
  'flowers.jpeg': ok,
  'gain-map.jpg': ok,
  '320x240.jpg': ok,
  'concert.jpg': ok,
  ...Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8].map((n) => [`Landscape_${n}.jpg`, oriented])),
  'Portrait_6.jpg': {
    outcome: 'accepted',
    check: async (deliver) => {
      const { metadata } = await deliver('w_300.jpg');
      expect(metadata).toMatchObject({ width: 300, height: 400 });
      expect(metadata.orientation).toBeUndefined();
    },
  },
  'Channel_digital_image_CMYK_color.jpg': srgbEverywhere,
  '16-bit-grey-alpha.png': eightBitOutputs,
  'Flag_of_the_Netherlands-16bit.png': eightBitOutputs,
  'with-alpha.png': alphaKept(),
  'full-transparent.png': alphaKept({ x: 40, y: 40 }),
  '5_webp_a.webp': alphaKept(),
  'grey-plus-alpha.gif': alphaKept(),
  'p3.png': srgbEverywhere,
  'prophoto.png': srgbEverywhere,
  'animated-loop-3.gif': animated('animated-loop-3.gif'),
  'animated-loop-3.webp': animated('animated-loop-3.webp'),
  'rotating-squares.gif': animated('rotating-squares.gif'),
  'big-height.webp': { outcome: 'bounded' },
  '4.webp': ok,
  'sdr_cosmos12920_cicp1-13-6_yuv444_full_qp10.avif': ok,
  'pitm.avif': undecodable,
  'G31D.TIF': ok,
  'uncompressed_tiff.tiff': ok,
  'circle.svg': svg,
  'struct-image-04-t.svg': svg,
  'corrupt-header.jpg': undecodable,
  'truncated.jpg': undecodable,
  'truncated.png': undecodable,
  'giant-image.jpg': overPixelLimit,
  '65536-uint32-limit.png': overPixelLimit,
};

let server: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'corpus');
  uprightReference = await greyThumbnail(await sharp(await corpusFile('Landscape_1.jpg')).resize(60).png().toBuffer());
});
afterAll(() => server?.close());

/** Uploads a corpus file into a tenant's space; answers the HTTP status and the JSON body. */
async function uploadCorpusFile(name: string, tenant = org.tenants[0]): Promise<{ status: number; body: AssetView & { message?: string } }> {
  const response = await upload(server.baseUrl, tenant.key, tenant.spaceId, await corpusFile(name), { filename: name });
  return { status: response.status, body: (await response.json()) as AssetView & { message?: string } };
}

function deliverer(asset: AssetView, tenant = org.tenants[0]): Deliver {
  return (file) => fetchImage(imageUrl({ baseUrl: server.baseUrl, org, tenant, asset }, file));
}

describe('corpus through the HTTP API', () => {
  it('has an expectation for every corpus file', async () => {
    const files = (await readdir(CORPUS_DIR)).filter((name) => name !== 'README.md').sort();
    expect(Object.keys(EXPECTED).sort()).toEqual(files);
  });

  it.each(Object.entries(EXPECTED))('%s', async (name, expectation) => {
    const uploaded = await uploadCorpusFile(name);
    if (expectation.outcome === 'rejected') {
      expect(expectation.statuses, `${uploaded.status}: ${uploaded.body.message}`).toContain(uploaded.status);
      expect(uploaded.body.message?.length).toBeGreaterThan(5);
      return;
    }
    if (expectation.outcome === 'bounded' && uploaded.status >= 400) {
      expect(uploaded.status).toBeLessThan(500);
      expect(uploaded.body.message?.length).toBeGreaterThan(5);
      return;
    }
    expect(uploaded.status, uploaded.body.message).toBe(201);
    const deliver = deliverer(uploaded.body);
    for (const file of COMMON_FILES) {
      const { metadata } = await deliver(file);
      expect(metadata.width, file).toBeLessThanOrEqual(200);
    }
    if (expectation.outcome === 'accepted') await expectation.check?.(deliver);
    else expect((await deliver('w_13.webp')).metadata.pages ?? 1).toBeLessThanOrEqual(DEFAULT_POLICY.max_frames);
  });

  it('rasterises SVG where the space policy allows it', async () => {
    const tenant = org.tenants[1];
    // allow_svg is a limit: only the organisation may turn it on (its other tenant keeps it off)
    await setPolicy(server.platform, { organizationId: org.id }, 'allow_svg', true);
    await setPolicy(server.platform, { organizationId: org.id, tenantId: org.tenants[0].id }, 'allow_svg', false);
    for (const name of ['circle.svg', 'struct-image-04-t.svg']) {
      const uploaded = await uploadCorpusFile(name, tenant);
      expect(uploaded.status, uploaded.body.message).toBe(201);
      const { metadata } = await deliverer(uploaded.body, tenant)('w_64.png');
      expect(metadata).toMatchObject({ format: 'png', width: uploaded.body.width < 64 ? uploaded.body.width : 64 });
    }
  });

  it('answers rejected uploads with a JSON error body', async () => {
    const response = await upload(server.baseUrl, org.tenants[0].key, org.tenants[0].spaceId, await corpusFile('pitm.avif'));
    const body = await expectError(response, 422);
    expect(body.error).toBe('unprocessable_image');
  });
});
