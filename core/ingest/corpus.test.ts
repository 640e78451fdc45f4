/**
 * Every file of the corpus (test/fixtures/corpus/README.md) against its expected outcome:
 * accepted files yield facts and survive several transforms with the promised properties;
 * rejected files get the promised 4xx without being decoded where the README says so.
 */
import { readdirSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { TransformOps } from '../ops/types.ts';
import type { OutputFormat } from '../policy.ts';
import { transformImage } from '../pipeline/transform.ts';
import type { TransformLimits } from '../pipeline/types.ts';
import { CORPUS_DIR, corpusFile, inspectOutput, makeRequest, pixelAt, rgbaPixels } from '../pipeline/testing.ts';
import { inspectOriginal } from './inspect.ts';
import type { IngestLimits } from './types.ts';

const LIMITS: IngestLimits = { maxBytes: 25 * 1024 * 1024, maxInputPixels: 50_000_000, maxFrames: 100, allowSvg: false };

const LANDSCAPES = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `Landscape_${n}.jpg`);
const PLAIN = [
  '2569067123_aca715a2ee_o.jpg', 'flowers.jpeg', 'gain-map.jpg', '320x240.jpg', 'concert.jpg', '4.webp',
  'sdr_cosmos12920_cicp1-13-6_yuv444_full_qp10.avif', 'G31D.TIF', 'uncompressed_tiff.tiff',
];
const CMYK = ['Channel_digital_image_CMYK_color.jpg'];
const SIXTEEN_BIT = ['16-bit-grey-alpha.png', 'Flag_of_the_Netherlands-16bit.png'];
const ALPHA = ['with-alpha.png', 'full-transparent.png', '5_webp_a.webp', 'grey-plus-alpha.gif'];
/** Measured with lcms from the embedded profiles: the untagged values would be (241,0,0) and (131,141,192). */
const WIDE_GAMUT: Record<string, [number, number, number]> = { 'p3.png': [255, 0, 0], 'prophoto.png': [117, 160, 210] };
const ANIMATED = ['animated-loop-3.gif', 'animated-loop-3.webp', 'rotating-squares.gif'];
const BOUNDED = ['big-height.webp'];
const SVG = ['circle.svg', 'struct-image-04-t.svg'];
const UNDECODABLE = ['pitm.avif', 'corrupt-header.jpg', 'truncated.jpg', 'truncated.png'];
const OVER_PIXEL_LIMIT = ['giant-image.jpg', '65536-uint32-limit.png'];

const ACCEPTED = [...PLAIN, ...LANDSCAPES, 'Portrait_6.jpg', ...CMYK, ...SIXTEEN_BIT, ...ALPHA, ...Object.keys(WIDE_GAMUT), ...ANIMATED, ...BOUNDED];

function transform(file: string, ops: Partial<TransformOps>, limits: Partial<TransformLimits> = {}) {
  return transformImage(makeRequest(corpusFile(file), ops, limits));
}

function meanAbsoluteDifference(a: Buffer, b: Buffer): number {
  let total = 0;
  for (let index = 0; index < a.length; index += 1) total += Math.abs((a[index] ?? 0) - (b[index] ?? 0));
  return total / a.length;
}

/** The least opaque pixel of the source, with its RGBA. */
async function mostTransparentPixel(file: string): Promise<{ x: number; y: number; rgba: number[] }> {
  const source = await rgbaPixels(await sharp(corpusFile(file)).png().toBuffer());
  let best = { x: 0, y: 0, rgba: pixelAt(source, 0, 0) };
  for (let y = 0; y < source.height; y += 1) {
    for (let x = 0; x < source.width; x += 1) {
      const rgba = pixelAt(source, x, y);
      if ((rgba[3] ?? 255) < (best.rgba[3] ?? 255)) best = { x, y, rgba };
    }
  }
  expect(best.rgba[3]).toBeLessThan(255);
  return best;
}

/** GIF and WebP encoders merge identical consecutive frames (adding up their delays). */
async function distinctFrameRuns(file: string): Promise<number> {
  const { data, info } = await sharp(corpusFile(file), { animated: true }).raw().toBuffer({ resolveWithObject: true });
  const frameBytes = data.length / (info.pages ?? 1);
  let runs = 1;
  for (let frame = 1; frame < (info.pages ?? 1); frame += 1) {
    const previous = data.subarray((frame - 1) * frameBytes, frame * frameBytes);
    if (!previous.equals(data.subarray(frame * frameBytes, (frame + 1) * frameBytes))) runs += 1;
  }
  return runs;
}

const totalDelay = (delays: number[] | undefined) => (delays ?? []).reduce((sum, delay) => sum + delay, 0);

it('covers every file in the corpus', () => {
  const listed = readdirSync(CORPUS_DIR).filter((name) => name !== 'README.md').sort();
  const covered = [...ACCEPTED, ...SVG, ...UNDECODABLE, ...OVER_PIXEL_LIMIT].sort();
  expect(covered).toEqual(listed);
});

describe.each(ACCEPTED)('accepted: %s', (file) => {
  it('is accepted at upload and transforms to 8-bit sRGB JPEG, WebP and PNG without metadata', async () => {
    const facts = await inspectOriginal(corpusFile(file), undefined, LIMITS);
    expect(facts.width).toBeGreaterThan(0);
    for (const format of ['jpeg', 'webp', 'png'] as const) {
      const result = await transform(file, { width: 300, format });
      const output = await sharp(result.data).metadata();
      expect(output.format).toBe(format);
      expect(output.width).toBeLessThanOrEqual(300);
      expect([output.depth, output.orientation, output.exif, output.icc]).toEqual(['uchar', undefined, undefined, undefined]);
      expect(['srgb', 'b-w']).toContain(output.space);
    }
  });
});

describe('orientation', () => {
  let reference: Promise<Buffer> | undefined;
  const landscapeOne = () =>
    (reference ??= transform('Landscape_1.jpg', { width: 600, format: 'jpeg' }).then((result) => sharp(result.data).raw().toBuffer()));

  it.each(LANDSCAPES)('%s is delivered 600x450, looking like Landscape_1', async (file) => {
    const result = await transform(file, { width: 600, format: 'jpeg' });
    const { data, info } = await sharp(result.data).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([600, 450]);
    // The same picture mirrored would differ by about 50.
    expect(meanAbsoluteDifference(data, await landscapeOne())).toBeLessThan(10);
  });

  it('Portrait_6.jpg is delivered upright, 450x600', async () => {
    const result = await transform('Portrait_6.jpg', { width: 600, format: 'jpeg' });
    const output = await sharp(result.data).metadata();
    expect([output.width, output.height, output.orientation]).toEqual([450, 600, undefined]);
  });
});

describe('colour', () => {
  it.each(['jpeg', 'png', 'webp', 'avif'] as const)('CMYK is delivered as sRGB in %s', async (format) => {
    const output = await sharp((await transform(CMYK[0] ?? '', { width: 64, format })).data).metadata();
    expect([output.space, output.channels, output.icc]).toEqual(['srgb', 3, undefined]);
  });

  it.each(SIXTEEN_BIT)('%s becomes 8-bit in JPEG, WebP and AVIF', async (file) => {
    for (const format of ['jpeg', 'webp', 'avif'] as const) {
      expect((await sharp((await transform(file, { width: 64, format })).data).metadata()).depth).toBe('uchar');
    }
  });

  it.each(Object.entries(WIDE_GAMUT))('%s is converted to sRGB', async (file, expected) => {
    const result = await transform(file, { format: 'png' });
    const output = await sharp(result.data).metadata();
    expect([output.space, output.icc]).toEqual(['srgb', undefined]);
    const [r = 0, g = 0, b = 0] = pixelAt(await rgbaPixels(result.data), 0, 0);
    expect(Math.max(Math.abs(r - expected[0]), Math.abs(g - expected[1]), Math.abs(b - expected[2]))).toBeLessThanOrEqual(3);
  });

  it('gain-map.jpg is delivered as plain SDR', async () => {
    expect((await sharp(corpusFile('gain-map.jpg')).metadata()).gainMap).toBeDefined();
    const output = await sharp((await transform('gain-map.jpg', { width: 300, format: 'jpeg' })).data).metadata();
    expect([output.width, output.height, output.gainMap]).toEqual([300, 169, undefined]);
  });
});

describe('alpha', () => {
  it.each(ALPHA)('%s keeps alpha in PNG, WebP and AVIF', async (file) => {
    const { x, y, rgba } = await mostTransparentPixel(file);
    for (const format of ['png', 'webp', 'avif'] as const) {
      const result = await transform(file, { format });
      expect((await sharp(result.data).metadata()).hasAlpha).toBe(true);
      expect(Math.abs((pixelAt(await rgbaPixels(result.data), x, y)[3] ?? 255) - (rgba[3] ?? 255))).toBeLessThan(8);
    }
  });

  it.each(ALPHA)('%s is flattened onto white in JPEG', async (file) => {
    const { x, y, rgba } = await mostTransparentPixel(file);
    const opacity = (rgba[3] ?? 255) / 255;
    const onWhite = rgba.slice(0, 3).map((channel) => channel * opacity + 255 * (1 - opacity));
    const result = await transform(file, { format: 'jpeg' });
    expect((await sharp(result.data).metadata()).hasAlpha).toBe(false);
    const delivered = pixelAt(await rgbaPixels(result.data), x, y);
    onWhite.forEach((expected, channel) => expect(Math.abs((delivered[channel] ?? 0) - expected)).toBeLessThan(16));
  });
});

describe('animation', () => {
  it.each(ANIMATED.flatMap((file) => (['gif', 'webp'] as const).map((format): [string, OutputFormat] => [file, format])))(
    '%s keeps its frames, delays and loop count as %s',
    async (file, format) => {
      const source = await sharp(corpusFile(file), { animated: true }).metadata();
      const result = await transform(file, { width: 60, format });
      const output = await inspectOutput(result.data);
      expect(output.pages).toBe(await distinctFrameRuns(file));
      expect(output.pages).toBeGreaterThan(1);
      expect(totalDelay(output.delay)).toBe(totalDelay(source.delay));
      expect(output.loop).toBe(source.loop);
      expect(result.height).toBe(output.pageHeight);
    },
  );

  it('the ten distinct frames of animated-loop-3 all survive', async () => {
    for (const file of ['animated-loop-3.gif', 'animated-loop-3.webp']) expect(await distinctFrameRuns(file)).toBe(10);
  });

  it.each(ANIMATED)('%s becomes its first frame in JPEG', async (file) => {
    const source = await sharp(corpusFile(file)).metadata();
    const result = await transform(file, { format: 'jpeg' });
    const output = await inspectOutput(result.data);
    expect([output.pages ?? 1, output.width, output.height]).toEqual([1, source.width, source.height]);
  });
});

describe('big-height.webp (13x16393, 97 frames)', () => {
  it('is refused with 413 when its frames exceed the frame limit', async () => {
    await expect(inspectOriginal(corpusFile('big-height.webp'), 'image/webp', { ...LIMITS, maxFrames: 50 })).rejects.toMatchObject({
      status: 413,
      message: 'image has 97 frames, over the limit of 50',
    });
  });

  it.each(['gif', 'webp'] as const)('gives a bounded %s within the frame limit, promptly', { timeout: 10_000 }, async (format) => {
    const result = await transform('big-height.webp', { format }, { maxFrames: 50, timeoutMs: 5_000 });
    const output = await inspectOutput(result.data);
    expect(output.pages ?? 1).toBeLessThanOrEqual(50);
    expect([output.width, result.height]).toEqual([13, 169]);
  });
});

describe('svg', () => {
  it.each(SVG)('%s is refused with 415 by default', async (file) => {
    await expect(inspectOriginal(corpusFile(file), 'image/svg+xml', LIMITS)).rejects.toMatchObject({ status: 415 });
  });

  it.each(SVG)('%s is rasterised to PNG when the policy allows SVG', async (file) => {
    const facts = await inspectOriginal(corpusFile(file), 'image/svg+xml', { ...LIMITS, allowSvg: true });
    const result = await transform(file, { width: 300, format: 'png' });
    const output = await sharp(result.data).metadata();
    expect([output.format, output.width, output.hasAlpha]).toEqual(['png', Math.min(300, facts.width), true]);
  });
});

describe('rejected at upload', () => {
  it.each(UNDECODABLE)('%s gets a 422 with a readable reason and no path', async (file) => {
    const error: unknown = await inspectOriginal(corpusFile(file), undefined, LIMITS).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 422, code: 'unprocessable_image' });
    const message = (error as Error).message;
    expect(message).toMatch(/^image could not be decoded: \S/);
    expect(message).not.toContain(CORPUS_DIR);
    expect(message).not.toContain('\n');
  });

  it.each(OVER_PIXEL_LIMIT)('%s gets a 413 from its header, memory staying flat', async (file) => {
    const rssBefore = process.memoryUsage().rss;
    await expect(inspectOriginal(corpusFile(file), undefined, LIMITS)).rejects.toMatchObject({
      status: 413,
      message: expect.stringMatching(/pixels, over the limit of 50000000$/),
    });
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it.each(OVER_PIXEL_LIMIT)('%s is also refused at delivery, before decoding', async (file) => {
    await expect(transform(file, { width: 100, format: 'jpeg' })).rejects.toMatchObject({ status: 422 });
  });
});
