import { describe, expect, it } from 'vitest';
import { parseDeliveryPath } from '../../../core/delivery-path.ts';
import { parseOps } from '../../../core/ops/parse.ts';
import { ImgplaneError, imagePath, imageRefFromUrl, imageUrl, opsSegment, type ImageRef } from '../src/index.ts';

const REF: ImageRef = {
  baseUrl: 'https://img.example.com/',
  org: 'acme',
  tenant: 'website',
  space: 'media',
  assetId: '0b8a5a3e-6f1c-4c1e-9a51-3f0c1d2e4b5a',
  version: 3,
};

function invalidOpsError(build: () => unknown): ImgplaneError {
  try {
    build();
  } catch (error) {
    if (error instanceof ImgplaneError) return error;
    throw error;
  }
  throw new Error('expected the builder to throw');
}

describe('opsSegment', () => {
  it('writes typed operations in the canonical order whatever order they were given in', () => {
    expect(opsSegment({ grayscale: true, fit: 'cover', height: 600, width: 800, quality: 85 })).toBe('w_800-h_600-f_cover-q_85-bw');
    expect(opsSegment({ width: 800, height: 600, fit: 'cover', quality: 85, grayscale: true })).toBe('w_800-h_600-f_cover-q_85-bw');
  });

  it('normalises values to the spelling the server canonicalises to', () => {
    expect(opsSegment({ background: 'FFF', format: 'jpeg' })).toBe('b_ffffff-fmt_jpeg');
  });

  it('writes presets first, and no operations as original', () => {
    expect(opsSegment({ presets: ['thumb', 'hero_2x'], format: 'auto' })).toBe('preset_thumb-preset_hero_2x-fmt_auto');
    expect(opsSegment({})).toBe('original');
    expect(opsSegment()).toBe('original');
  });

  it('round-trips through the server parser for every kind of operation', () => {
    const ops = {
      width: 640, height: 480, dpr: 1.5, fit: 'contain', gravity: 'northeast', background: '00000080', quality: 'auto',
      format: 'webp', rotate: 90, blur: 2.5, sharpen: 1, grayscale: true, flip: true, flop: true, upscale: true,
    } as const;
    expect(parseOps(opsSegment(ops))).toEqual(ops);
  });

  it.each([
    ['a zero width', { width: 0 }, 'w_0'],
    ['a fractional width', { width: 800.5 }, 'w_800.5'],
    ['a dpr above 4', { dpr: 5 }, 'dpr_5'],
    ['a quality above 100', { quality: 101 }, 'q_101'],
    ['a preset name with a dash', { presets: ['two-words'] }, 'words'],
  ])('rejects %s with the server grammar message naming the token', (_case, ops, token) => {
    const error = invalidOpsError(() => opsSegment(ops));
    expect(error.code).toBe('invalid_ops');
    expect(error.detail).toMatchObject({ token: expect.stringContaining(token) });
  });
});

describe('imageUrl', () => {
  it('builds a URL the server parses back to the same asset, version and ops', () => {
    const url = imageUrl(REF, { width: 400, format: 'auto' }, 'jpg');
    expect(url).toBe('https://img.example.com/v1/pub/acme/website/media/img/0b8a5a3e-6f1c-4c1e-9a51-3f0c1d2e4b5a/v3/w_400-fmt_auto.jpg');
    expect(parseDeliveryPath(new URL(url).pathname)).toMatchObject({ access: 'pub', version: 3, ops: 'w_400-fmt_auto', extension: 'jpg' });
  });

  it('builds root-relative private paths with version 1 by default', () => {
    const { baseUrl: _base, version: _version, ...rest } = REF;
    expect(imagePath({ ...rest, access: 'priv' }, { width: 300 }, 'webp')).toBe(
      '/v1/priv/acme/website/media/img/0b8a5a3e-6f1c-4c1e-9a51-3f0c1d2e4b5a/v1/w_300.webp',
    );
  });

  it('rejects a slug or asset id the server would refuse, naming it', () => {
    expect(invalidOpsError(() => imageUrl({ ...REF, tenant: 'Web Site' })).message).toMatch(/invalid tenant slug/);
    expect(invalidOpsError(() => imageUrl({ ...REF, assetId: 'not-a-uuid' })).message).toMatch(/invalid asset id/);
  });

  it('reads the asset back from any of its URLs, dropping ops and query', () => {
    const signed = `${imageUrl({ ...REF, access: 'priv' }, { width: 100 })}?exp=1&kid=k&sig=s`;
    expect(imageRefFromUrl(signed)).toEqual({ ...REF, baseUrl: 'https://img.example.com', access: 'priv' });
    expect(imageRefFromUrl(imagePath(REF)).baseUrl).toBe('');
  });
});
