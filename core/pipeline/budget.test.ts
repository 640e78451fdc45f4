import { describe, expect, it } from 'vitest';
import { assertWithinBudget, estimateTransform, outputSize } from './budget.ts';
import { makeOps, TEST_ENCODER } from './testing.ts';
import type { EncoderSettings } from './types.ts';

const DEFAULT_BUDGET = { maxOutputPixels: 50_000_000, maxCost: 15_000, maxFrames: 100 };
const DEFAULT_ENCODER: EncoderSettings = { avifEffort: 2, webpEffort: 4, pngCompressionLevel: 6 };
const still = (width: number, height: number) => ({ width, height, frames: 1 });

function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the budget to refuse');
}

describe('outputSize', () => {
  it('follows the aspect ratio of a width-only or height-only resize, enlarging only with up', () => {
    expect(outputSize(still(1, 50_000), makeOps({ width: 300 }))).toEqual({ width: 1, height: 50_000 });
    expect(outputSize(still(1, 50_000), makeOps({ width: 300, upscale: true }))).toEqual({ width: 300, height: 15_000_000 });
    expect(outputSize(still(16_000, 1000), makeOps({ height: 4096, upscale: true }))).toEqual({ width: 65_536, height: 4096 });
    expect(outputSize(still(2000, 1000), makeOps({ width: 500 }))).toEqual({ width: 500, height: 250 });
  });

  it('answers the box for box fits, scales for inside/outside, and turns the axes for r_90', () => {
    expect(outputSize(still(2000, 1000), makeOps({ width: 300, height: 300, fit: 'cover' }))).toEqual({ width: 300, height: 300 });
    expect(outputSize(still(2000, 1000), makeOps({ width: 300, height: 300, fit: 'inside' }))).toEqual({ width: 300, height: 150 });
    expect(outputSize(still(1, 50_000), makeOps({ width: 4096, height: 1, fit: 'outside', upscale: true }))).toEqual({
      width: 4096,
      height: 204_800_000,
    });
    expect(outputSize(still(2000, 1000), makeOps({ width: 500, rotate: 90 }))).toEqual({ width: 500, height: 1000 });
    expect(outputSize(still(2000, 1000), makeOps({ original: true }))).toEqual({ width: 2000, height: 1000 });
  });
});

describe('assertWithinBudget', () => {
  it('refuses the 1x50000 w_300-up-blur_50 request by max_output_pixels, naming the limit', () => {
    const error = refusal(() =>
      assertWithinBudget(still(1, 50_000), makeOps({ width: 300, upscale: true, blur: 50, format: 'png' }), DEFAULT_ENCODER, DEFAULT_BUDGET),
    );
    expect(error).toMatchObject({
      code: 'invalid_ops',
      status: 400,
      detail: { limit: 'max_output_pixels', value: 4_500_000_000, maximum: 50_000_000 },
    });
    expect((error as Error).message).toContain('max_output_pixels');
  });

  it('refuses the 16000x1000 panorama at h_4096-up-blur_50 by max_output_pixels', () => {
    const error = refusal(() =>
      assertWithinBudget(still(16_000, 1000), makeOps({ height: 4096, upscale: true, blur: 50, format: 'png' }), DEFAULT_ENCODER, DEFAULT_BUDGET),
    );
    expect(error).toMatchObject({ detail: { limit: 'max_output_pixels' } });
  });

  it('counts every kept frame of an animation', () => {
    const gif = { width: 100, height: 100, frames: 100 };
    const estimate = estimateTransform(gif, makeOps({ width: 4096, upscale: true, format: 'gif' }), DEFAULT_ENCODER, 100);
    expect(estimate.frames).toBe(100);
    expect(estimate.outputPixels).toBe(4096 * 4096 * 100);
    // The same request as a still (JPEG keeps one frame) is a single 4096x4096 picture.
    expect(estimateTransform(gif, makeOps({ width: 4096, upscale: true, format: 'jpeg' }), DEFAULT_ENCODER, 100).frames).toBe(1);
  });

  it('scales blur and sharpen with their sigma and the pixels they touch, and names the costly op', () => {
    const source = still(4096, 4096);
    const light = estimateTransform(source, makeOps({ blur: 2, format: 'jpeg' }), DEFAULT_ENCODER, 100);
    const heavy = estimateTransform(source, makeOps({ blur: 1000, format: 'jpeg' }), DEFAULT_ENCODER, 100);
    const small = estimateTransform(source, makeOps({ width: 400, blur: 1000, format: 'jpeg' }), DEFAULT_ENCODER, 100);
    expect(heavy.cost).toBeGreaterThan(light.cost * 20);
    expect(small.cost).toBeLessThan(heavy.cost / 50);
    expect(heavy.dominant).toBe('blur_1000');
    const error = refusal(() => assertWithinBudget(source, makeOps({ blur: 1000, format: 'jpeg' }), DEFAULT_ENCODER, DEFAULT_BUDGET));
    expect(error).toMatchObject({ code: 'invalid_ops', detail: { limit: 'max_transform_cost', dominant: 'blur_1000' } });
    expect((error as Error).message).toMatch(/max_transform_cost of 15000/);
    const sharpen = (sigma: number) => estimateTransform(source, makeOps({ sharpen: sigma, format: 'jpeg' }), DEFAULT_ENCODER, 100).cost;
    expect(sharpen(10)).toBeGreaterThan(sharpen(0.5));
  });

  it('prices AVIF by effort and size: a large AVIF at effort 4 is refused where JPEG and small AVIF pass', () => {
    const source = still(6000, 4000);
    const big = makeOps({ width: 4000, format: 'avif' });
    const effort4 = { ...DEFAULT_ENCODER, avifEffort: 4 };
    expect(() => assertWithinBudget(source, makeOps({ width: 4000, format: 'jpeg' }), effort4, DEFAULT_BUDGET)).not.toThrow();
    expect(() => assertWithinBudget(source, makeOps({ width: 800, format: 'avif' }), effort4, DEFAULT_BUDGET)).not.toThrow();
    expect(refusal(() => assertWithinBudget(source, big, effort4, DEFAULT_BUDGET))).toMatchObject({
      detail: { limit: 'max_transform_cost', dominant: 'avif encoding' },
    });
    expect(estimateTransform(source, big, effort4, 100).cost).toBeGreaterThan(estimateTransform(source, big, DEFAULT_ENCODER, 100).cost);
  });

  it('prices png8 and lossless encoding as measured: refused at a size where the plain encoders pass', () => {
    const source = still(4096, 4096);
    for (const [plain, costly, dominant] of [
      [makeOps({ format: 'png' }), makeOps({ format: 'png', palette: true }), 'png8 encoding'],
      [makeOps({ format: 'webp' }), makeOps({ format: 'webp', lossless: true }), 'lossless webp encoding'],
      [makeOps({ format: 'avif' }), makeOps({ format: 'avif', lossless: true }), 'lossless avif encoding'],
    ] as const) {
      expect(() => assertWithinBudget(source, plain, DEFAULT_ENCODER, DEFAULT_BUDGET), dominant).not.toThrow();
      expect(refusal(() => assertWithinBudget(source, costly, DEFAULT_ENCODER, DEFAULT_BUDGET))).toMatchObject({
        detail: { limit: 'max_transform_cost', dominant },
      });
    }
    // png8 of an ordinary thumbnail is well within the budget
    expect(() => assertWithinBudget(source, makeOps({ width: 800, format: 'png', palette: true }), DEFAULT_ENCODER, DEFAULT_BUDGET)).not.toThrow();
  });

  it('prices trim by the region it renders and colour adjustments by the output', () => {
    const source = still(8000, 8000);
    const whole = estimateTransform(source, makeOps({ width: 400, trim: 10, format: 'jpeg' }), DEFAULT_ENCODER, 100);
    const untrimmed = estimateTransform(source, makeOps({ width: 400, format: 'jpeg' }), DEFAULT_ENCODER, 100);
    const cropped = estimateTransform(source, makeOps({ width: 400, trim: 10, rect: { left: 0, top: 0, width: 800, height: 800 }, format: 'jpeg' }), DEFAULT_ENCODER, 100);
    expect(whole.dominant).toBe('trim');
    expect(whole.cost - untrimmed.cost).toBeGreaterThan(50 * (cropped.cost - untrimmed.cost));

    const big = still(4096, 4096);
    const adjusted = makeOps({ format: 'jpeg', brightness: 1.2, saturation: 1.1, hue: 90, gamma: 2, contrast: 1.3, normalise: true, tint: 'ff8800', grayscale: true });
    const colour = estimateTransform(big, adjusted, DEFAULT_ENCODER, 100);
    expect(colour.dominant).toBe('colour adjustments');
    expect(colour.cost).toBeGreaterThan(2 * estimateTransform(big, makeOps({ format: 'jpeg' }), DEFAULT_ENCODER, 100).cost);
    expect(estimateTransform(big, { ...adjusted, width: 400 }, DEFAULT_ENCODER, 100).cost).toBeLessThan(colour.cost / 5);
  });

  it('lets ordinary requests through at the default budget', () => {
    const photo = still(6000, 4000);
    for (const ops of [
      makeOps({ width: 800, format: 'webp' }),
      makeOps({ width: 1600, height: 900, fit: 'cover', format: 'avif' }),
      makeOps({ width: 4096, format: 'jpeg', sharpen: 1 }),
      makeOps({ width: 1200, blur: 20, format: 'png' }),
      makeOps({ original: true, format: 'webp' }),
    ]) {
      expect(() => assertWithinBudget(photo, ops, TEST_ENCODER, DEFAULT_BUDGET), JSON.stringify(ops)).not.toThrow();
    }
  });
});
