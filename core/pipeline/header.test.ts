import { describe, expect, it } from 'vitest';
import { decodeError } from './decode-error.ts';
import { orientedSize, pixelLimitExcess, readImageHeader } from './header.ts';
import type { ImageHeader } from './header.ts';
import { corpusFile } from './testing.ts';

const still: ImageHeader = {
  format: 'jpeg', compression: undefined, width: 600, height: 400, frames: 1,
  orientation: undefined, hasAlpha: false, space: 'srgb',
};

describe('readImageHeader', () => {
  it('counts animation frames and reports the size of one frame', async () => {
    const header = await readImageHeader(corpusFile('rotating-squares.gif'));
    expect([header.format, header.width, header.height, header.frames, header.hasAlpha]).toEqual(['gif', 80, 80, 30, true]);
  });

  it('does not count HEIF items as frames', async () => {
    const header = await readImageHeader(corpusFile('sdr_cosmos12920_cicp1-13-6_yuv444_full_qp10.avif'));
    expect([header.format, header.compression, header.frames]).toEqual(['heif', 'av1', 1]);
  });

  it('reads the claimed size of a huge image from its header alone', async () => {
    const header = await readImageHeader(corpusFile('65536-uint32-limit.png'));
    expect([header.width, header.height]).toEqual([65536, 65536]);
  });

  it('rejects a corrupt header with a 422 that does not leak the path', async () => {
    const path = corpusFile('corrupt-header.jpg');
    const error: unknown = await readImageHeader(path).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'unprocessable_image' });
    expect((error as Error).message).toMatch(/^image could not be decoded: .*premature end of JPEG/);
    expect((error as Error).message).not.toContain(path);
  });
});

describe('orientedSize', () => {
  it('swaps the axes for EXIF orientations 5 to 8 only', () => {
    expect(orientedSize({ ...still, orientation: 4 })).toEqual({ width: 600, height: 400 });
    expect(orientedSize({ ...still, orientation: 5 })).toEqual({ width: 400, height: 600 });
    expect(orientedSize({ ...still, orientation: 8 })).toEqual({ width: 400, height: 600 });
  });
});

describe('pixelLimitExcess', () => {
  it('allows exactly the limit and explains anything above it, frames included', () => {
    expect(pixelLimitExcess(still, 1, 240_000)).toBeUndefined();
    expect(pixelLimitExcess(still, 1, 239_999)).toBe('image is 600x400 = 240000 pixels, over the limit of 239999');
    expect(pixelLimitExcess(still, 3, 500_000)).toBe('image is 600x400 x 3 frames = 720000 pixels, over the limit of 500000');
  });
});

describe('decodeError', () => {
  it('maps sharp\'s own timeout to the 503 timeout', () => {
    expect(decodeError(new Error('timeout: 42% complete\n'), 'x.jpg')).toMatchObject({ code: 'timeout', retryAfterSeconds: 1 });
  });

  it('keeps the first line only and removes the file path', () => {
    const error = decodeError(new Error('Input file has corrupt header: /srv/a.avif: bad seek to 9\nmore detail'), '/srv/a.avif');
    expect(error.message).toBe('image could not be decoded: Input file has corrupt header: bad seek to 9');
  });
});
