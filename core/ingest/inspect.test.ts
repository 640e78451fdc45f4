import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transformImage } from '../pipeline/transform.ts';
import { corpusFile, makeRequest, pixelAt, rgbaPixels } from '../pipeline/testing.ts';
import { inspectOriginal } from './inspect.ts';
import type { IngestLimits } from './types.ts';

const LIMITS: IngestLimits = { maxBytes: 25 * 1024 * 1024, maxInputPixels: 50_000_000, maxFrames: 100, allowSvg: false };

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgplane-ingest-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tempFile(name: string, bytes: Buffer | string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

describe('inspectOriginal', () => {
  it('returns the facts of a valid image, with displayed (oriented) dimensions', async () => {
    const facts = await inspectOriginal(corpusFile('Landscape_6.jpg'), 'image/jpeg', LIMITS);
    expect(facts).toEqual({
      format: 'jpeg', mimeType: 'image/jpeg', width: 600, height: 450, frames: 1, hasAlpha: false,
      colorSpace: 'srgb', orientation: 6, sizeBytes: 137628,
    });
  });

  it('trusts the sniffed type over a declared type that lies', async () => {
    const facts = await inspectOriginal(corpusFile('with-alpha.png'), 'image/jpeg', LIMITS);
    expect([facts.format, facts.mimeType, facts.hasAlpha]).toEqual(['png', 'image/png', true]);
  });

  it('refuses a file over max bytes with 413 before looking inside', async () => {
    await expect(inspectOriginal(corpusFile('Landscape_1.jpg'), 'image/jpeg', { ...LIMITS, maxBytes: 1_000 })).rejects.toMatchObject({
      status: 413,
      message: 'file is 139435 bytes, over the limit of 1000 bytes',
      detail: { limit: 'max_upload_bytes' },
    });
  });

  it('refuses a supported-looking declaration on an unsupported type with 415 naming both', async () => {
    const pdf = await tempFile('doc.pdf', '%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    await expect(inspectOriginal(pdf, 'image/png', LIMITS)).rejects.toMatchObject({
      status: 415,
      message: 'file type application/pdf is not a supported image type (declared as image/png)',
    });
  });

  it('refuses bytes of no known type with 415', async () => {
    const noise = await tempFile('noise.bin', Buffer.from('just some text, not an image at all\n'.repeat(10)));
    await expect(inspectOriginal(noise, undefined, LIMITS)).rejects.toMatchObject({
      status: 415,
      message: 'file content is not a recognised image type',
    });
  });

  it('refuses HEIC with 415 (sharp\'s prebuilt libvips has no HEVC decoder)', async () => {
    const ftyp = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(4), Buffer.from('mif1heic')]);
    const heic = await tempFile('photo.heic', Buffer.concat([ftyp, Buffer.alloc(64)]));
    await expect(inspectOriginal(heic, 'image/heic', LIMITS)).rejects.toMatchObject({ status: 415, message: expect.stringContaining('HEIC') });
  });

  it('refuses more frames than max frames with 413 naming the limit', async () => {
    await expect(inspectOriginal(corpusFile('animated-loop-3.gif'), 'image/gif', { ...LIMITS, maxFrames: 5 })).rejects.toMatchObject({
      status: 413,
      message: 'image has 10 frames, over the limit of 5',
      detail: { limit: 'max_frames' },
    });
  });

  it('counts every frame against the pixel limit', async () => {
    await expect(inspectOriginal(corpusFile('animated-loop-3.gif'), 'image/gif', { ...LIMITS, maxInputPixels: 500_000 })).rejects.toMatchObject({
      status: 413,
      message: 'image is 370x285 x 10 frames = 1054500 pixels, over the limit of 500000',
      detail: { limit: 'max_input_pixels' },
    });
  });

  it('refuses SVG with 415 unless the policy allows it', async () => {
    await expect(inspectOriginal(corpusFile('circle.svg'), 'image/svg+xml', LIMITS)).rejects.toMatchObject({
      status: 415,
      message: expect.stringContaining('allow_svg'),
    });
    const facts = await inspectOriginal(corpusFile('circle.svg'), 'image/svg+xml', { ...LIMITS, allowSvg: true });
    expect([facts.format, facts.mimeType, facts.width, facts.height]).toEqual(['svg', 'image/svg+xml', 8, 8]);
  });

  it('rasterises an allowed SVG without loading the files it references', async () => {
    await sharp({ create: { width: 10, height: 10, channels: 3, background: '#ff0000' } }).png().toFile(join(dir, 'secret.png'));
    const svg = await tempFile(
      'leaky.svg',
      `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">
         <image xlink:href="secret.png" width="10" height="10"/>
         <image xlink:href="file://${join(dir, 'secret.png')}" width="10" height="10"/>
       </svg>`,
    );
    await inspectOriginal(svg, 'image/svg+xml', { ...LIMITS, allowSvg: true });
    // From a path, librsvg would draw the neighbouring file (opaque red); we must draw nothing.
    const rendered = await rgbaPixels((await transformImage(makeRequest(svg, { format: 'png' }))).data);
    expect(pixelAt(rendered, 5, 5)).toEqual([0, 0, 0, 0]);
  });
});
