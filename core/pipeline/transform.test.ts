import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Fit } from '../ops/types.ts';
import { PIPELINE_STEPS, transformImage } from './transform.ts';
import { corpusFile, inspectOutput, makeRequest, pixelAt, rgbaPixels } from './testing.ts';

const LANDSCAPE = corpusFile('Landscape_1.jpg'); // 600x450

describe('transformImage', () => {
  const fits: Array<[Fit, number, number]> = [
    ['cover', 300, 300],
    ['contain', 300, 300],
    ['fill', 300, 300],
    ['inside', 300, 225],
    ['outside', 400, 300],
    ['pad', 300, 300],
  ];
  it.each(fits)('f_%s into 300x300 delivers %ix%i, as decoded from the output', async (fit, width, height) => {
    const result = await transformImage(makeRequest(LANDSCAPE, { width: 300, height: 300, fit, format: 'webp' }));
    const decoded = await sharp(result.data).metadata();
    expect([decoded.format, decoded.width, decoded.height]).toEqual(['webp', width, height]);
    expect([result.format, result.contentType, result.width, result.height]).toEqual(['webp', 'image/webp', width, height]);
  });

  it('labels each format with its content type and real bytes', async () => {
    const expected = { jpeg: ['image/jpeg', 'jpeg'], png: ['image/png', 'png'], gif: ['image/gif', 'gif'], avif: ['image/avif', 'heif'] } as const;
    for (const [format, [contentType, decodedAs]] of Object.entries(expected)) {
      const result = await transformImage(makeRequest(LANDSCAPE, { width: 60, format: format as keyof typeof expected }));
      expect(result.contentType).toBe(contentType);
      expect((await sharp(result.data).metadata()).format).toBe(decodedAs);
    }
  });

  it('times every step for Server-Timing', async () => {
    const result = await transformImage(makeRequest(LANDSCAPE, { width: 100, format: 'jpeg' }));
    const names = ['load', ...PIPELINE_STEPS.map(([name]) => name), 'encode'];
    expect(Object.keys(result.timings)).toEqual(names);
    for (const name of names) expect(result.timings[name]).toBeGreaterThanOrEqual(0);
  });

  it('re-encodes `original` upright at full size, without metadata', async () => {
    const result = await transformImage(makeRequest(corpusFile('Landscape_6.jpg'), { original: true, width: 100, format: 'jpeg' }));
    const decoded = await sharp(result.data).metadata();
    expect([decoded.width, decoded.height, decoded.orientation, decoded.exif]).toEqual([600, 450, undefined, undefined]);
  });

  it('flattens alpha onto white for JPEG but keeps it for PNG', async () => {
    const input = await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const jpeg = await rgbaPixels((await transformImage(makeRequest(input, { format: 'jpeg' }))).data);
    expect(pixelAt(jpeg, 1, 1)).toEqual([255, 255, 255, 255]);
    const png = await rgbaPixels((await transformImage(makeRequest(input, { format: 'png' }))).data);
    expect(pixelAt(png, 1, 1)[3]).toBe(0);
  });

  it('keeps an animation for GIF/WebP output, capped at maxFrames, with its loop count', async () => {
    const full = await transformImage(makeRequest(corpusFile('animated-loop-3.gif'), { width: 100, format: 'webp' }));
    const fullMeta = await inspectOutput(full.data);
    expect([fullMeta.pages, fullMeta.loop, fullMeta.pageHeight, full.height]).toEqual([10, 3, 77, 77]);

    const capped = await transformImage(makeRequest(corpusFile('animated-loop-3.gif'), { width: 100, format: 'gif' }, { maxFrames: 4 }));
    expect((await inspectOutput(capped.data)).pages).toBe(4);
  });

  it('delivers the first frame, turned, when an animation is rotated by 90 degrees', async () => {
    const result = await transformImage(makeRequest(corpusFile('animated-loop-3.webp'), { rotate: 90, format: 'webp' }));
    const decoded = await inspectOutput(result.data);
    expect([decoded.pages ?? 1, decoded.width, decoded.height]).toEqual([1, 285, 370]);
  });

  it('refuses a source over the pixel budget with a 422 before decoding it', async () => {
    const refused = transformImage(makeRequest(LANDSCAPE, { width: 100 }, { maxInputPixels: 100_000 }));
    await expect(refused).rejects.toMatchObject({
      code: 'unprocessable_image',
      message: 'image is 600x450 = 270000 pixels, over the limit of 100000',
    });
  });

  it('counts every kept frame against the pixel budget', async () => {
    // 370x285 = 105,450 pixels per frame: one frame fits 200,000, ten do not.
    const limits = { maxInputPixels: 200_000 };
    await expect(transformImage(makeRequest(corpusFile('animated-loop-3.gif'), { format: 'gif' }, limits))).rejects.toMatchObject({
      code: 'unprocessable_image',
    });
    await expect(transformImage(makeRequest(corpusFile('animated-loop-3.gif'), { format: 'png' }, limits))).resolves.toMatchObject({
      format: 'png',
    });
  });

  it('answers a 503 timeout with Retry-After when the budget runs out, without waiting for libvips', async () => {
    const startedAt = performance.now();
    const slow = transformImage(makeRequest(corpusFile('2569067123_aca715a2ee_o.jpg'), { blur: 200, format: 'png' }, { timeoutMs: 150 }));
    await expect(slow).rejects.toMatchObject({ code: 'timeout', status: 503, retryAfterSeconds: 1 });
    expect(performance.now() - startedAt).toBeLessThan(1_000);
  });

  it('stops before any work when the caller has already gone', async () => {
    const controller = new AbortController();
    controller.abort();
    const request = { ...makeRequest(LANDSCAPE, { width: 100 }), signal: controller.signal };
    await expect(transformImage(request)).rejects.toMatchObject({ message: 'image transform aborted' });
  });

  it('answers undecodable input with a 422 that names the reason but not the path', async () => {
    const path = corpusFile('truncated.png');
    const error: unknown = await transformImage(makeRequest(path, { width: 100 })).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'unprocessable_image', status: 422 });
    expect((error as Error).message).toMatch(/^image could not be decoded: \S/);
    expect((error as Error).message).not.toContain(path);
  });
});
