/**
 * Shared fixtures for the pipeline and ingest tests (imported only by *.test.ts files).
 */
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { Metadata } from 'sharp';
import { NEUTRAL_OPS } from '../ops/plan.ts';
import type { TransformOps } from '../ops/types.ts';
import type { EncoderSettings, TransformLimits, TransformRequest } from './types.ts';

/** The edge-case corpus, inside the repository (test/fixtures/corpus/README.md says what each file must get). */
export const CORPUS_DIR = fileURLToPath(new URL('../../test/fixtures/corpus/', import.meta.url));
export const corpusFile = (name: string): string => `${CORPUS_DIR}${name}`;

/** Fast encoder settings: AVIF effort 2 is ten times cheaper than sharp's default. */
export const TEST_ENCODER: EncoderSettings = { avifEffort: 2, webpEffort: 2, pngCompressionLevel: 6 };
export const TEST_LIMITS: TransformLimits = {
  maxInputPixels: 50_000_000,
  maxFrames: 100,
  timeoutMs: 15_000,
  maxOutputPixels: 50_000_000,
  maxCost: 15_000,
};

/** Resolved ops as core/ops would produce them with no tokens given, then `overrides`. */
export function makeOps(overrides: Partial<TransformOps> = {}): TransformOps {
  return {
    ...NEUTRAL_OPS,
    quality: 80,
    format: 'png',
    ...overrides,
  };
}

export function makeRequest(input: string | Buffer, ops: Partial<TransformOps>, limits: Partial<TransformLimits> = {}): TransformRequest {
  return { input, ops: makeOps(ops), encoder: TEST_ENCODER, limits: { ...TEST_LIMITS, ...limits } };
}

/** Metadata of encoded output, with every frame counted. */
export function inspectOutput(data: Buffer): Promise<Metadata> {
  return sharp(data, { animated: true }).metadata();
}

/** RGBA pixels of encoded output (first frame). */
export async function rgbaPixels(data: Buffer): Promise<{ pixels: Buffer; width: number; height: number }> {
  const { data: pixels, info } = await sharp(data).ensureAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { pixels, width: info.width, height: info.height };
}

export function pixelAt(image: { pixels: Buffer; width: number }, x: number, y: number): number[] {
  const offset = (y * image.width + x) * 4;
  return [...image.pixels.subarray(offset, offset + 4)];
}

/** A solid-colour PNG with four differently coloured quadrants, for orientation tests. */
export async function quadrantsPng(width = 4, height = 4): Promise<Buffer> {
  const halfW = width / 2;
  const halfH = height / 2;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const colour = QUADRANT_COLOURS[(y < halfH ? 0 : 2) + (x < halfW ? 0 : 1)] ?? [0, 0, 0];
      pixels.set(colour, (y * width + x) * 3);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** Top-left red, top-right green, bottom-left blue, bottom-right yellow. */
export const QUADRANT_COLOURS: ReadonlyArray<readonly [number, number, number]> = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 0],
];
