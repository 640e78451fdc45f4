/**
 * Each pipeline step on its own: load a small synthetic image, apply just that step, look at the
 * pixels. Whole-pipeline behaviour (encoded output, limits, timeouts) is in transform.test.ts.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { TransformOps } from '../ops/types.ts';
import type { PipelineState, Step } from './state.ts';
import { colour } from './steps/colour.ts';
import { effects } from './steps/effects.ts';
import { encode } from './steps/encode.ts';
import { flatten } from './steps/flatten.ts';
import { framesToDecode, load } from './steps/load.ts';
import { autoOrient, flipFlop, rotate } from './steps/orient.ts';
import { resize } from './steps/resize.ts';
import type { ImageHeader } from './header.ts';
import { QUADRANT_COLOURS, TEST_ENCODER, TEST_LIMITS, corpusFile, makeOps, pixelAt, quadrantsPng, rgbaPixels } from './testing.ts';

const [RED, GREEN, BLUE, YELLOW] = QUADRANT_COLOURS.map((rgb) => [...rgb, 255]);

/** Loads `input`, applies only `step` with `ops`, returns the RGBA result. */
async function afterStep(input: string | Buffer, step: Step, ops: Partial<TransformOps> = {}) {
  const state = await loadState(input, ops);
  step(state, { ops: makeOps(ops), encoder: TEST_ENCODER, limits: TEST_LIMITS });
  return rgbaPixels(await state.image.png().toBuffer());
}

function loadState(input: string | Buffer, ops: Partial<TransformOps> = {}): Promise<PipelineState> {
  return load(input, makeOps(ops), TEST_LIMITS);
}

/** The colour of each corner: top-left, top-right, bottom-left, bottom-right. */
function corners(image: { pixels: Buffer; width: number; height: number }): number[][] {
  const right = image.width - 1;
  const bottom = image.height - 1;
  return [pixelAt(image, 0, 0), pixelAt(image, right, 0), pixelAt(image, 0, bottom), pixelAt(image, right, bottom)];
}

/** Two halves: red on top, blue below. */
function topRedBottomBlue(width: number, height: number): Promise<Buffer> {
  const top = sharp({ create: { width, height: height / 2, channels: 3, background: '#ff0000' } }).png().toBuffer();
  return top.then((redHalf) =>
    sharp({ create: { width, height, channels: 3, background: '#0000ff' } })
      .composite([{ input: redHalf, top: 0, left: 0 }])
      .png()
      .toBuffer(),
  );
}

describe('autoOrient', () => {
  it('turns an EXIF-rotated image upright and leaves no orientation tag', async () => {
    const tagged = await sharp(await quadrantsPng(8, 4)).withMetadata({ orientation: 6 }).png().toBuffer();
    expect((await sharp(tagged).metadata()).orientation).toBe(6);
    const upright = await afterStep(tagged, autoOrient);
    // Orientation 6 is displayed rotated 90 degrees clockwise: 8x4 stored becomes 4x8 shown.
    expect([upright.width, upright.height]).toEqual([4, 8]);
    expect(corners(upright)).toEqual([BLUE, RED, YELLOW, GREEN]);
  });
});

describe('rotate', () => {
  it('r_90 turns clockwise', async () => {
    expect(corners(await afterStep(await quadrantsPng(), rotate, { rotate: 90 }))).toEqual([BLUE, RED, YELLOW, GREEN]);
  });

  it('r_270 turns anticlockwise and r_0 changes nothing', async () => {
    const input = await quadrantsPng();
    expect(corners(await afterStep(input, rotate, { rotate: 270 }))).toEqual([GREEN, YELLOW, RED, BLUE]);
    expect(corners(await afterStep(input, rotate, { rotate: 0 }))).toEqual([RED, GREEN, BLUE, YELLOW]);
  });
});

describe('flipFlop', () => {
  it('flip mirrors top-to-bottom', async () => {
    expect(corners(await afterStep(await quadrantsPng(), flipFlop, { flip: true }))).toEqual([BLUE, YELLOW, RED, GREEN]);
  });

  it('flop mirrors left-to-right', async () => {
    expect(corners(await afterStep(await quadrantsPng(), flipFlop, { flop: true }))).toEqual([GREEN, RED, YELLOW, BLUE]);
  });

  it('flip and flop together turn the image half way round', async () => {
    const both = await afterStep(await quadrantsPng(), flipFlop, { flip: true, flop: true });
    expect(corners(both)).toEqual([YELLOW, BLUE, GREEN, RED]);
  });
});

describe('resize', () => {
  it('never enlarges unless upscaling was asked', async () => {
    const input = await quadrantsPng(40, 30);
    const kept = await afterStep(input, resize, { width: 80 });
    expect([kept.width, kept.height]).toEqual([40, 30]);
    const enlarged = await afterStep(input, resize, { width: 80, upscale: true });
    expect([enlarged.width, enlarged.height]).toEqual([80, 60]);
  });

  it('ignores the size for `original`, and does nothing without a width or height', async () => {
    const input = await quadrantsPng(40, 30);
    const original = await afterStep(input, resize, { original: true, width: 10, height: 10 });
    expect([original.width, original.height]).toEqual([40, 30]);
    const unsized = await afterStep(input, resize, { fit: 'fill' });
    expect([unsized.width, unsized.height]).toEqual([40, 30]);
  });

  it('contain letterboxes with transparent bars for an alpha format and the default background', async () => {
    const box = await afterStep(await quadrantsPng(40, 20), resize, { width: 20, height: 20, fit: 'contain', format: 'png' });
    expect([box.width, box.height]).toEqual([20, 20]);
    expect(pixelAt(box, 10, 0)[3]).toBe(0);
    // The 20x10 picture sits in rows 5-14; its top-left quarter is red and opaque.
    const [r, g, b, alpha] = pixelAt(box, 2, 6);
    expect([alpha, r, g, b]).toEqual([255, expect.any(Number), 0, 0]);
    expect(r).toBeGreaterThan(200);
  });

  it('contain uses an explicit b_ colour, and JPEG bars are never transparent', async () => {
    const input = await quadrantsPng(40, 20);
    const red = await afterStep(input, resize, { width: 20, height: 20, fit: 'contain', background: '00ff00' });
    expect(pixelAt(red, 10, 0)).toEqual([0, 255, 0, 255]);
    const jpeg = await afterStep(input, resize, { width: 20, height: 20, fit: 'contain', format: 'jpeg' });
    expect(pixelAt(jpeg, 10, 0)).toEqual([255, 255, 255, 255]);
  });

  it('pad letterboxes with the b_ colour, opaque white by default and translucent when asked', async () => {
    const input = await quadrantsPng(40, 20);
    const white = await afterStep(input, resize, { width: 20, height: 20, fit: 'pad', format: 'png' });
    expect(pixelAt(white, 10, 0)).toEqual([255, 255, 255, 255]);
    const halfBlack = await afterStep(input, resize, { width: 20, height: 20, fit: 'pad', format: 'webp', background: '00000080' });
    expect(pixelAt(halfBlack, 10, 0)).toEqual([0, 0, 0, 128]);
  });

  it('cover crops towards the gravity', async () => {
    const input = await topRedBottomBlue(40, 40);
    const north = await afterStep(input, resize, { width: 40, height: 10, fit: 'cover', gravity: 'north' });
    expect(corners(north).every((pixel) => pixel[0] === 255 && pixel[2] === 0)).toBe(true);
    const south = await afterStep(input, resize, { width: 40, height: 10, fit: 'cover', gravity: 'south' });
    expect(corners(south).every((pixel) => pixel[0] === 0 && pixel[2] === 255)).toBe(true);
  });

  it('accepts the smart gravities for cover and falls back to centre where libvips has none', async () => {
    const input = await topRedBottomBlue(40, 40);
    const attention = await afterStep(input, resize, { width: 20, height: 20, fit: 'cover', gravity: 'attention' });
    expect([attention.width, attention.height]).toEqual([20, 20]);
    const entropy = await afterStep(input, resize, { width: 20, height: 20, fit: 'contain', gravity: 'entropy' });
    expect([entropy.width, entropy.height]).toEqual([20, 20]);
    const animated = await loadState(corpusFile('animated-loop-3.gif'), { format: 'webp' });
    expect(animated.frames).toBe(10);
    resize(animated, { ops: makeOps({ width: 50, height: 50, gravity: 'attention', format: 'webp' }), encoder: TEST_ENCODER, limits: TEST_LIMITS });
    const frames = await sharp(await animated.image.webp().toBuffer(), { animated: true }).metadata();
    expect([frames.width, frames.pageHeight, frames.pages]).toEqual([50, 50, 10]);
  });
});

describe('effects', () => {
  const stripes = () =>
    sharp(Buffer.from(Array.from({ length: 16 * 16 }, (_, index) => (index % 2 === 0 ? 0 : 255))), {
      raw: { width: 16, height: 16, channels: 1 },
    })
      .png()
      .toBuffer();
  const spread = async (image: { pixels: Buffer }) => (await sharp(image.pixels, { raw: { width: 16, height: 16, channels: 4 } }).stats()).channels[0]?.stdev ?? 0;

  it('blur_ smooths hard edges', async () => {
    const input = await stripes();
    expect(await spread(await afterStep(input, effects, { blur: 2 }))).toBeLessThan((await spread(await afterStep(input, effects))) / 4);
  });

  it('sharpen_ runs and keeps the size', async () => {
    const sharpened = await afterStep(await quadrantsPng(16, 16), effects, { sharpen: 2 });
    expect([sharpened.width, sharpened.height]).toEqual([16, 16]);
  });

  it('bw makes every pixel grey', async () => {
    const grey = await afterStep(await quadrantsPng(), effects, { grayscale: true });
    for (const [r, g, b] of corners(grey)) expect(r === g && g === b).toBe(true);
  });
});

describe('colour', () => {
  async function colourOutput(input: string, ops: Partial<TransformOps> = {}) {
    const state = await loadState(input, ops);
    colour(state, { ops: makeOps(ops), encoder: TEST_ENCODER, limits: TEST_LIMITS });
    return sharp(await state.image.png().toBuffer()).metadata();
  }

  it('delivers CMYK as 8-bit sRGB without a profile', async () => {
    const output = await colourOutput(corpusFile('Channel_digital_image_CMYK_color.jpg'));
    expect([output.space, output.channels, output.depth, output.icc]).toEqual(['srgb', 3, 'uchar', undefined]);
  });

  it('casts 16-bit input to 8 bits', async () => {
    const output = await colourOutput(corpusFile('Flag_of_the_Netherlands-16bit.png'));
    expect([output.space, output.depth]).toEqual(['srgb', 'uchar']);
  });

  it('keeps grey sources grey (one channel plus alpha) at 8 bits', async () => {
    const output = await colourOutput(corpusFile('16-bit-grey-alpha.png'));
    expect([output.space, output.channels, output.depth]).toEqual(['b-w', 2, 'uchar']);
  });
});

describe('flatten', () => {
  const halfTransparent = () =>
    sharp({ create: { width: 2, height: 1, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } } })
      .composite([{ input: Buffer.from([0, 0, 255, 255]), raw: { width: 1, height: 1, channels: 4 }, left: 1, top: 0 }])
      .png()
      .toBuffer();

  it('puts JPEG transparency onto white by default and keeps opaque pixels', async () => {
    const flat = await afterStep(await halfTransparent(), flatten, { format: 'jpeg' });
    expect([pixelAt(flat, 0, 0), pixelAt(flat, 1, 0)]).toEqual([[255, 255, 255, 255], BLUE]);
  });

  it('uses the b_ colour for JPEG', async () => {
    const flat = await afterStep(await halfTransparent(), flatten, { format: 'jpeg', background: '00ff00' });
    expect(pixelAt(flat, 0, 0)).toEqual([0, 255, 0, 255]);
  });

  it('keeps alpha for formats that have it', async () => {
    for (const format of ['png', 'webp', 'avif', 'gif'] as const) {
      const kept = await afterStep(await halfTransparent(), flatten, { format });
      expect(pixelAt(kept, 0, 0)[3]).toBe(0);
    }
  });
});

describe('encode', () => {
  async function encodeAs(ops: Partial<TransformOps>) {
    const state = await loadState(corpusFile('flowers.jpeg'), ops);
    state.image.resize(120);
    return encode(state, { ops: makeOps(ops), encoder: TEST_ENCODER, limits: TEST_LIMITS }, 'flowers.jpeg');
  }

  it('writes each output format', async () => {
    for (const format of ['jpeg', 'png', 'webp', 'avif', 'gif'] as const) {
      const encoded = await encodeAs({ format });
      const decoded = await sharp(encoded.data).metadata();
      expect(decoded.format).toBe(format === 'avif' ? 'heif' : format);
      expect([encoded.width, encoded.height]).toEqual([120, 68]);
    }
  });

  it('honours q_ for lossy formats', async () => {
    for (const format of ['jpeg', 'webp', 'avif'] as const) {
      const low = await encodeAs({ format, quality: 20 });
      const high = await encodeAs({ format, quality: 90 });
      expect(low.data.length).toBeLessThan(high.data.length);
    }
  });
});

describe('framesToDecode', () => {
  const animation: ImageHeader = {
    format: 'gif', compression: undefined, width: 10, height: 10, frames: 30,
    orientation: undefined, hasAlpha: true, space: 'srgb',
  };

  it('keeps frames only for formats that animate, capped at maxFrames', () => {
    expect(framesToDecode(animation, makeOps({ format: 'webp' }), 100)).toBe(30);
    expect(framesToDecode(animation, makeOps({ format: 'gif' }), 12)).toBe(12);
    expect(framesToDecode(animation, makeOps({ format: 'jpeg' }), 100)).toBe(1);
    expect(framesToDecode(animation, makeOps({ format: 'avif' }), 100)).toBe(1);
  });

  it('falls back to the first frame for turns libvips cannot apply frame by frame', () => {
    expect(framesToDecode(animation, makeOps({ format: 'gif', rotate: 180 }), 100)).toBe(1);
    expect(framesToDecode(animation, makeOps({ format: 'gif', flip: true }), 100)).toBe(1);
    expect(framesToDecode({ ...animation, orientation: 6 }, makeOps({ format: 'gif' }), 100)).toBe(1);
    expect(framesToDecode(animation, makeOps({ format: 'gif', flop: true }), 100)).toBe(30);
  });
});
