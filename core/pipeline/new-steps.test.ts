/**
 * The steps of issue 13 through the whole pipeline (libvips runs operations in its own fixed
 * order, so the order only shows in the output): crops, focal points, trim, borders, colour
 * adjustments and encoder options, each checked on decoded pixels.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { TransformOps } from '../ops/types.ts';
import { outputFrame } from './frame.ts';
import { transformImage } from './transform.ts';
import { corpusFile, inspectOutput, makeRequest, pixelAt, QUADRANT_COLOURS, quadrantsPng, rgbaPixels } from './testing.ts';

const [RED, GREEN, BLUE, YELLOW] = QUADRANT_COLOURS.map((rgb) => [...rgb, 255]);

async function render(input: Buffer | string, ops: Partial<TransformOps>) {
  const result = await transformImage(makeRequest(input, { format: 'png', ...ops }));
  return { result, image: await rgbaPixels(result.data) };
}

/** Corner colours as the nearest quadrant colour: resampling blends a pixel or so at each edge. */
function cornerNames(image: { pixels: Buffer; width: number; height: number }): string[] {
  const names = ['red', 'green', 'blue', 'yellow'];
  return corners(image).map((colour) => {
    const index = QUADRANT_COLOURS.findIndex((rgb) => rgb.every((value, channel) => Math.abs(value - (colour[channel] ?? 0)) < 48));
    return names[index] ?? colour.join(',');
  });
}

function corners(image: { pixels: Buffer; width: number; height: number }): number[][] {
  const right = image.width - 1;
  const bottom = image.height - 1;
  return [pixelAt(image, 0, 0), pixelAt(image, right, 0), pixelAt(image, 0, bottom), pixelAt(image, right, bottom)];
}

/** A flat `colour` picture inside a white frame: `inner` at (`left`, `top`) of `size`. */
async function framed(size: [number, number], inner: [number, number], left: number, top: number, colour = '#ff0000'): Promise<Buffer> {
  const block = await sharp({ create: { width: inner[0], height: inner[1], channels: 3, background: colour } }).png().toBuffer();
  return sharp({ create: { width: size[0], height: size[1], channels: 3, background: '#ffffff' } })
    .composite([{ input: block, left, top }])
    .removeAlpha()
    .png()
    .toBuffer();
}

const TOP_HALF = { left: 0, top: 0, width: 40, height: 10 };

describe('rect_', () => {
  it('crops the auto-oriented original before resizing', async () => {
    const { image } = await render(await quadrantsPng(40, 20), { rect: { left: 20, top: 10, width: 20, height: 10 }, width: 4, upscale: true });
    expect([image.width, image.height]).toEqual([4, 2]);
    expect(corners(image)).toEqual([YELLOW, YELLOW, YELLOW, YELLOW]);
  });

  it.each<[string, Partial<TransformOps>, number[][], [number, number]]>([
    ['alone', {}, [RED!, GREEN!, RED!, GREEN!], [40, 10]],
    ['with r_90', { rotate: 90 }, [RED!, RED!, GREEN!, GREEN!], [10, 40]],
    ['with r_270', { rotate: 270 }, [GREEN!, GREEN!, RED!, RED!], [10, 40]],
    ['with flop', { flop: true }, [GREEN!, RED!, GREEN!, RED!], [40, 10]],
    ['with flop and r_90', { flop: true, rotate: 90 }, [GREEN!, GREEN!, RED!, RED!], [10, 40]],
    ['with r_180 and flip', { rotate: 180, flip: true }, [GREEN!, RED!, GREEN!, RED!], [40, 10]],
  ])('takes the rectangle of the original %s', async (_name, turns, expected, size) => {
    const { image } = await render(await quadrantsPng(40, 20), { rect: TOP_HALF, ...turns });
    expect([image.width, image.height]).toEqual(size);
    expect(corners(image)).toEqual(expected);
  });

  it('measures the rectangle on the picture as displayed, after EXIF orientation', async () => {
    // Stored 20x40 with orientation 6: displayed as the 40x20 quadrants picture.
    const stored = await sharp(await quadrantsPng(40, 20)).rotate(270).withMetadata({ orientation: 6 }).png().toBuffer();
    const { image } = await render(stored, { rect: { left: 20, top: 0, width: 20, height: 10 } });
    expect(corners(image)).toEqual([GREEN, GREEN, GREEN, GREEN]);
  });

  it('crops every frame of an animation', async () => {
    const { result } = await render(corpusFile('rotating-squares.gif'), { rect: { left: 0, top: 0, width: 40, height: 30 }, format: 'gif' });
    const metadata = await inspectOutput(result.data);
    expect([metadata.width, metadata.pageHeight]).toEqual([40, 30]);
    expect(metadata.pages).toBeGreaterThan(1);
  });
});

describe('fp_', () => {
  it.each([
    ['right', { x: 0.9, y: 0.5 }, ['green', 'green', 'yellow', 'yellow']],
    ['left', { x: 0.1, y: 0.5 }, ['red', 'red', 'blue', 'blue']],
    ['past the edge, kept inside', { x: 1, y: 0 }, ['green', 'green', 'yellow', 'yellow']],
  ])('keeps the focal point (%s) in a cover crop', async (_name, focal, expected) => {
    const { image } = await render(await quadrantsPng(80, 40), { width: 20, height: 20, focal });
    expect([image.width, image.height]).toEqual([20, 20]);
    expect(cornerNames(image)).toEqual(expected);
  });

  it('centres without a focal point (the check above is not luck)', async () => {
    const { image } = await render(await quadrantsPng(80, 40), { width: 20, height: 20 });
    expect(cornerNames(image)).toEqual(['red', 'green', 'blue', 'yellow']);
  });

  it('follows the picture through r_ and rect_', async () => {
    // r_90 turns the picture to blue|red over yellow|green; the point in green (top right of the
    // original) is then in the lower half, which the 20x20 crop of the 20x40 picture keeps.
    const turned = await render(await quadrantsPng(80, 40), { width: 20, height: 20, focal: { x: 0.9, y: 0.1 }, rotate: 90 });
    expect(cornerNames(turned.image)).toEqual(['yellow', 'green', 'yellow', 'green']);
    const cropped = await render(await quadrantsPng(80, 40), { rect: { left: 0, top: 20, width: 80, height: 20 }, width: 10, height: 10, focal: { x: 0.95, y: 0.9 } });
    expect(cornerNames(cropped.image)).toEqual(['yellow', 'yellow', 'yellow', 'yellow']);
  });

  it('never enlarges without up: the crop is at most the picture', async () => {
    const { image } = await render(await quadrantsPng(40, 20), { width: 30, height: 30, focal: { x: 0.9, y: 0.5 } });
    expect([image.width, image.height]).toEqual([30, 20]);
    expect(corners(image)).toEqual([RED, GREEN, BLUE, YELLOW]);
  });
});

describe('trim', () => {
  it('removes a border of the background colour', async () => {
    const { image } = await render(await framed([40, 30], [10, 6], 7, 5), { trim: 10 });
    expect([image.width, image.height]).toEqual([10, 6]);
    expect(corners(image)).toEqual(Array(4).fill([255, 0, 0, 255]));
  });

  it('trims after rect_ and r_, and resizes the trimmed picture', async () => {
    const input = await framed([40, 30], [10, 6], 7, 5);
    const { image } = await render(input, { rect: { left: 2, top: 2, width: 30, height: 20 }, rotate: 90, trim: 10, width: 3, upscale: true });
    expect([image.width, image.height]).toEqual([3, 5]);
    expect(pixelAt(image, 1, 2)).toEqual([255, 0, 0, 255]);
  });

  it('keeps a focal point on the trimmed picture', async () => {
    const inner = await quadrantsPng(20, 10);
    const input = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#ffffff' } })
      .composite([{ input: inner, left: 10, top: 10 }]).removeAlpha().png().toBuffer();
    const { image } = await render(input, { trim: 10, width: 4, height: 4, focal: { x: 0.7, y: 0.4 } });
    expect(cornerNames(image)).toEqual(['green', 'green', 'yellow', 'yellow']);
  });

  it('gives one frame of an animation', async () => {
    const { result } = await render(corpusFile('rotating-squares.gif'), { trim: 10, format: 'gif' });
    expect((await inspectOutput(result.data)).pages).toBe(1);
  });
});

describe('ext_', () => {
  it('adds borders of the b_ colour after resizing', async () => {
    const { image } = await render(await quadrantsPng(40, 20), { width: 20, extend: { top: 1, right: 2, bottom: 3, left: 4 }, background: '00ff0080' });
    expect([image.width, image.height]).toEqual([26, 14]);
    expect(pixelAt(image, 0, 0)).toEqual([0, 255, 0, 128]);
    expect(pixelAt(image, 4, 1)).toEqual(RED);
    expect(pixelAt(image, 23, 10)).toEqual(YELLOW);
    expect(pixelAt(image, 25, 13)).toEqual([0, 255, 0, 128]);
  });

  it('makes JPEG borders the opaque b_ colour', async () => {
    const result = await transformImage(makeRequest(await quadrantsPng(40, 20), { format: 'jpeg', extend: { top: 4, right: 0, bottom: 0, left: 0 }, background: '0000ff80' }));
    const [r, g, b] = pixelAt(await rgbaPixels(result.data), 20, 0);
    expect(r).toBeLessThan(20);
    expect(g).toBeLessThan(20);
    expect(b).toBeGreaterThan(230);
  });
});

describe('colour adjustments', () => {
  const grey = (level: number) => sharp({ create: { width: 4, height: 4, channels: 3, background: { r: level, g: level, b: level } } }).png().toBuffer();
  const red = () => sharp({ create: { width: 4, height: 4, channels: 3, background: '#c83232' } }).png().toBuffer();
  const first = async (input: Buffer, ops: Partial<TransformOps>) => pixelAt((await render(input, ops)).image, 1, 1);

  it('bri_ brightens and darkens', async () => {
    const [brighter] = await first(await grey(100), { brightness: 1.5 });
    const [darker] = await first(await grey(100), { brightness: 0.5 });
    expect(brighter).toBeGreaterThan(130);
    expect(darker).toBeLessThan(70);
  });

  it('con_ stretches around mid-grey', async () => {
    expect((await first(await grey(160), { contrast: 2 }))[0]).toBe(192);
    expect((await first(await grey(96), { contrast: 2 }))[0]).toBe(64);
    expect((await first(await grey(160), { contrast: 0.5 }))[0]).toBe(144);
  });

  it('sat_0 removes colour, hue_ turns it', async () => {
    const [r, g, b] = await first(await red(), { saturation: 0 });
    expect(Math.max(r!, g!, b!) - Math.min(r!, g!, b!)).toBeLessThan(4);
    const [hr, , hb] = await first(await red(), { hue: 180 });
    expect(hb).toBeGreaterThan(hr!);
  });

  it('gam_ above 1 brightens midtones, below 1 darkens them', async () => {
    expect((await first(await grey(128), { gamma: 2 }))[0]).toBe(180);
    expect((await first(await grey(128), { gamma: 0.5 }))[0]).toBe(64);
  });

  it('norm stretches a dull picture to the full range', async () => {
    const dull = await sharp(Buffer.from([100, 100, 100, 150, 150, 150]), { raw: { width: 2, height: 1, channels: 3 } }).png().toBuffer();
    const { image } = await render(dull, { normalise: true });
    // libvips stretches the 1st to the 99th percentile, so the ends land near, not at, 0 and 255.
    expect(pixelAt(image, 0, 0)[0]).toBeLessThan(15);
    expect(pixelAt(image, 1, 0)[0]).toBeGreaterThan(240);
  });

  it('tint_ colours a grey picture, also one made grey by bw', async () => {
    const [r, g, b] = await first(await grey(128), { tint: 'ff0000' });
    expect(r).toBeGreaterThan(200);
    expect(Math.max(g!, b!)).toBeLessThan(60);
    const [, gGrey] = await first(await red(), { tint: '00ff00', grayscale: false });
    expect(gGrey).toBeGreaterThan(100);
  });
});

describe('encoder options', () => {
  const LANDSCAPE = corpusFile('Landscape_1.jpg');

  it('prog makes progressive JPEG and interlaced PNG', async () => {
    for (const format of ['jpeg', 'png'] as const) {
      const baseline = await transformImage(makeRequest(LANDSCAPE, { width: 64, format }));
      const progressive = await transformImage(makeRequest(LANDSCAPE, { width: 64, format, progressive: true }));
      expect([(await sharp(baseline.data).metadata()).isProgressive, (await sharp(progressive.data).metadata()).isProgressive]).toEqual([false, true]);
    }
  });

  it('lossless WebP and AVIF give back the exact pixels', async () => {
    const input = await quadrantsPng(16, 16);
    for (const format of ['webp', 'avif'] as const) {
      const result = await transformImage(makeRequest(input, { format, lossless: true, quality: 100 }));
      const decoded = await rgbaPixels(result.data);
      expect(corners(decoded)).toEqual([RED, GREEN, BLUE, YELLOW]);
    }
  });

  it('png8 writes a palette PNG', async () => {
    const full = await transformImage(makeRequest(LANDSCAPE, { width: 64, format: 'png' }));
    const palette = await transformImage(makeRequest(LANDSCAPE, { width: 64, format: 'png', palette: true }));
    expect((await sharp(full.data).metadata()).isPalette).toBe(false);
    expect((await sharp(palette.data).metadata()).isPalette).toBe(true);
    expect(palette.data.length).toBeLessThan(full.data.length);
  });

  it('mozjpeg (trellis) gives smaller files of the same picture than turbo, baseline unless prog', async () => {
    const request = makeRequest(LANDSCAPE, { width: 300, format: 'jpeg' });
    const turbo = await transformImage(request);
    const mozjpeg = await transformImage({ ...request, encoder: { ...request.encoder, jpegEncoder: 'mozjpeg' } });
    expect(mozjpeg.data.length).toBeLessThan(turbo.data.length);
    expect((await sharp(mozjpeg.data).metadata()).isProgressive).toBe(false);
    const [a, b] = [pixelAt(await rgbaPixels(turbo.data), 150, 100), pixelAt(await rgbaPixels(mozjpeg.data), 150, 100)];
    for (const channel of [0, 1, 2]) expect(Math.abs(a[channel]! - b[channel]!)).toBeLessThan(24);
  });
});

describe('outputFrame', () => {
  const ops = { rect: null, flip: false, flop: false, rotate: 0 } as const;

  it('moves the rectangle into the turned frame only when r_ is set', () => {
    const rect = { left: 10, top: 5, width: 20, height: 8 };
    expect(outputFrame({ width: 100, height: 50 }, { ...ops, rect, flip: true }, undefined).extract).toEqual(rect);
    expect(outputFrame({ width: 100, height: 50 }, { ...ops, rect, rotate: 90 }, undefined)).toMatchObject({
      extract: { left: 37, top: 10, width: 8, height: 20 },
      size: { width: 8, height: 20 },
    });
    expect(outputFrame({ width: 100, height: 50 }, { ...ops, rect, rotate: 270, flop: true }, undefined).extract).toEqual({ left: 5, top: 10, width: 8, height: 20 });
  });

  it('moves the focal point with the crop and the turns', () => {
    const frame = outputFrame({ width: 100, height: 50 }, { ...ops, rect: { left: 50, top: 0, width: 50, height: 50 }, rotate: 90 }, { x: 60, y: 10 });
    expect(frame.focus).toEqual({ x: 40, y: 10 });
  });
});
