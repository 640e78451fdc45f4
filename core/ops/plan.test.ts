import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../policy.ts';
import { planStandIn, planVariant, QUALITY_IGNORED } from './plan.ts';
import { variantKey } from './variant-key.ts';
import { parseOps } from './parse.ts';
import { expectInvalidOps, OPAQUE_STILL, planFor } from './ops-test-helpers.ts';

const canonicalOf = (raw: string, overrides: Parameters<typeof planFor>[1] = {}) => planFor(raw, overrides).canonical;

describe('planVariant: canonical string', () => {
  it('makes every default explicit in a fixed order', () => {
    const plan = planFor('w_800');
    expect(plan.canonical).toBe('w_800-f_cover-g_center-b_ffffff-q_80-r_0');
    expect(plan.ops).toEqual({
      original: false,
      width: 800,
      height: null,
      fit: 'cover',
      gravity: 'center',
      background: 'ffffff',
      quality: 80,
      format: 'jpeg',
      rotate: 0,
      blur: null,
      sharpen: null,
      grayscale: false,
      flip: false,
      flop: false,
      upscale: false,
      rect: null,
      focal: null,
      trim: null,
      extend: null,
      brightness: null,
      contrast: null,
      saturation: null,
      hue: null,
      gamma: null,
      tint: null,
      normalise: false,
      progressive: false,
      lossless: false,
      palette: false,
    });
    expect(plan.negotiated).toBe(false);
  });

  it.each([
    ['h_600-w_800', 'w_800-h_600'],
    ['w_400-dpr_2', 'w_800'],
    ['w_800-q_auto', 'w_800-q_80'],
    ['w_800-g_centre', 'w_800'],
    ['w_800-f_cover-g_center-b_fff-r_0', 'w_800'],
    ['b_ffffffff', 'b_FFFFFF'],
    ['flop-bw-up-flip', 'bw-flip-flop-up'],
    ['dpr_2', 'dpr_1'],
    ['w_100-dpr_1.15', 'w_115'],
  ])('%s names the same variant as %s', (left, right) => {
    expect(canonicalOf(left)).toBe(canonicalOf(right));
  });

  it('keeps flags, effects and colours in the canonical string', () => {
    expect(canonicalOf('sharpen_1.5-blur_2-b_00000080-r_90-flip-bw-f_pad-g_north-h_10-up-flop-q_60')).toBe(
      'h_10-f_pad-g_north-b_00000080-q_60-r_90-blur_2-sharpen_1.5-bw-flip-flop-up',
    );
  });

  it('leaves the output format out of the canonical string', () => {
    expect(canonicalOf('w_10', { extension: 'webp' })).toBe(canonicalOf('w_10-fmt_webp'));
    expect(planFor('w_10', { extension: 'webp' }).ops.format).toBe('webp');
  });

  it('gives one variant for any quality of a format that ignores quality', () => {
    expect(canonicalOf('q_50', { extension: 'png' })).toBe(canonicalOf('q_80', { extension: 'png' }));
    expect(planFor('q_50', { extension: 'gif' }).ops.quality).toBe(QUALITY_IGNORED);
  });

  it('resolves q_auto and a missing q to the policy quality of the output format', () => {
    const policy = { quality_jpeg: 81, quality_webp: 72, quality_avif: 50 };
    expect(planFor('q_auto', { policy }).ops.quality).toBe(81);
    expect(planFor('w_1', { policy, extension: 'webp' }).ops.quality).toBe(72);
    expect(planFor('q_auto-fmt_avif', { policy }).ops.quality).toBe(50);
    expect(planFor('q_33-fmt_avif', { policy }).ops.quality).toBe(33);
  });

  it('rounds dpr-scaled sizes to the nearest pixel and drops dpr', () => {
    expect(planFor('w_333-h_101-dpr_1.5').ops).toMatchObject({ width: 500, height: 152 });
    expect(planFor('dpr_3').ops).toMatchObject({ width: null, height: null });
  });
});

describe('planVariant: formats', () => {
  it('uses fmt_ over the extension, jpg meaning jpeg', () => {
    expect(planFor('fmt_png', { extension: 'webp' }).ops.format).toBe('png');
    expect(planFor('w_1', { extension: 'jpeg' }).ops.format).toBe('jpeg');
    expect(planFor('fmt_jpg', { extension: 'png' }).ops.format).toBe('jpeg');
  });

  it.each(['tiff', 'JPG', '', 'webp.png'])('rejects the extension "%s" with 400 naming it', (extension) => {
    expectInvalidOps(() => planFor('w_1', { extension }), { token: `.${extension}` });
  });

  it('rejects a bad extension even when fmt_ names the format', () => {
    expectInvalidOps(() => planFor('fmt_webp', { extension: 'bmp' }), { token: '.bmp' });
  });

  it('negotiates fmt_auto from Accept and says so', () => {
    const plan = planFor('w_10-fmt_auto', { accept: 'image/avif,image/webp,*/*', policy: { quality_avif: 52 } });
    expect(plan.ops).toMatchObject({ format: 'avif', quality: 52 });
    expect(plan.negotiated).toBe(true);
    expect(planFor('fmt_auto', { accept: '*/*' }).ops.format).toBe('jpeg');
    expect(planFor('fmt_auto', { source: { format: 'png', hasAlpha: true, frames: 1, width: 800, height: 600 } }).ops.format).toBe('png');
  });

  it('negotiates only among allowed formats', () => {
    const policy = { allowed_formats: ['jpeg', 'webp'] as ('jpeg' | 'webp')[] };
    expect(planFor('fmt_auto', { accept: 'image/avif,image/webp', policy }).ops.format).toBe('webp');
  });

  it('rejects a format the policy does not allow, naming fmt_ or the extension', () => {
    const policy = { allowed_formats: ['jpeg', 'png'] as ('jpeg' | 'png')[] };
    expectInvalidOps(() => planFor('fmt_webp', { policy }), { token: 'fmt_webp' });
    expectInvalidOps(() => planFor('w_1', { policy, extension: 'avif' }), { token: '.avif' });
  });
});

describe('planStandIn', () => {
  const input = (raw: string, accept: string, presets: Record<string, unknown> = {}) => ({
    parsed: parseOps(raw),
    presets,
    extension: 'jpg',
    accept,
    policy: DEFAULT_POLICY,
    source: OPAQUE_STILL,
  });

  it('plans the next accepted format with its own quality, still negotiated and varying on Accept', () => {
    const request = input('w_600-fmt_auto', 'image/avif,image/webp,*/*');
    const plan = planVariant(request);
    const standIn = planStandIn(request, plan)!;
    expect(plan.ops.format).toBe('avif');
    expect(standIn.ops).toMatchObject({ format: 'webp', width: 600, quality: DEFAULT_POLICY.quality_webp });
    expect(standIn).toMatchObject({ negotiated: true, vary: plan.vary });
    // The same variant a client that takes only WebP gets.
    expect(standIn.canonical).toBe(planVariant(input('w_600-fmt_auto', 'image/webp')).canonical);
  });

  it('falls to JPEG when WebP is not accepted, and honours fmt_auto from a preset', () => {
    const request = input('preset_card', 'image/avif', { card: { w: 300, fmt: 'auto' } });
    expect(planStandIn(request, planVariant(request))!.ops).toMatchObject({ format: 'jpeg', width: 300 });
  });

  it('has none for a format the URL named', () => {
    const request = input('w_600-fmt_avif', 'image/avif,image/webp');
    expect(planStandIn(request, planVariant(request))).toBeUndefined();
  });
});

describe('planVariant: policy limits', () => {
  it('accepts sizes up to the maximum', () => {
    expect(planFor('w_4096-h_4096').ops).toMatchObject({ width: 4096, height: 4096 });
  });

  it.each([
    ['w_4097', 'w_4097', {}],
    ['h_5000', 'h_5000', {}],
    ['w_2049-dpr_2', 'w_2049', {}],
    ['w_700', 'w_700', { max_width: 640 }],
    ['h_641', 'h_641', { max_height: 640 }],
  ])('rejects %s over the limit with 400 naming %s', (raw, token, policy) => {
    expectInvalidOps(() => planFor(raw, { policy }), { token });
  });
});

describe('planVariant: presets', () => {
  const presets = {
    thumb: { w: 200, h: 200, f: 'cover', fmt: 'webp', q: 70 },
    mono: { bw: true, q: 90 },
    broken: { w: 'wide' },
  };

  it('expands a preset, with explicit URL ops overriding it', () => {
    const plan = planFor('preset_thumb-w_300', { presets });
    expect(plan.ops).toMatchObject({ width: 300, height: 200, fit: 'cover', format: 'webp', quality: 70 });
    expect(plan.canonical).toBe(canonicalOf('w_300-h_200-q_70-fmt_webp'));
  });

  it('applies several presets left to right', () => {
    expect(planFor('preset_thumb-preset_mono', { presets }).ops).toMatchObject({ grayscale: true, quality: 90, width: 200 });
    expect(planFor('preset_mono-preset_thumb', { presets }).ops).toMatchObject({ grayscale: true, quality: 70 });
  });

  it('scales a preset size by the URL dpr', () => {
    expect(planFor('preset_thumb-dpr_2', { presets }).ops).toMatchObject({ width: 400, height: 400 });
  });

  it('lets only keys the URL set override a preset', () => {
    const plan = planVariant({
      parsed: { presets: ['thumb'], width: undefined },
      presets,
      extension: 'jpg',
      accept: undefined,
      policy: DEFAULT_POLICY,
      source: OPAQUE_STILL,
    });
    expect(plan.ops.width).toBe(200);
  });

  it('rejects an unknown preset with 400 naming it', () => {
    expectInvalidOps(() => planFor('w_10-preset_nope', { presets }), { token: 'preset_nope' });
  });

  it('does not treat inherited object keys as presets', () => {
    expectInvalidOps(() => planFor('preset_constructor', { presets }), { token: 'preset_constructor' });
  });

  it('reports a stored preset that no longer validates as 400 naming the preset', () => {
    const error = expectInvalidOps(() => planFor('preset_broken', { presets }), { token: 'preset_broken' });
    expect(error.message).toContain('"w"');
  });

  it('rejects nested presets stored in a preset', () => {
    expectInvalidOps(() => planFor('preset_outer', { presets: { outer: { preset: 'thumb' } } }), { token: 'preset_outer' });
  });

  it('checks policy limits after preset expansion', () => {
    expectInvalidOps(() => planFor('preset_big', { presets: { big: { w: 9000 } } }), { token: 'w_9000' });
  });
});

describe('planVariant: original', () => {
  it('delivers the original in the extension format with every other value default', () => {
    const plan = planFor('original', { extension: 'png' });
    expect(plan.canonical).toBe('original');
    expect(plan.ops).toMatchObject({ original: true, format: 'png', width: null, fit: 'cover', rotate: 0, flip: false });
    expect(planFor('original', { extension: 'jpg' }).ops).toMatchObject({ format: 'jpeg', quality: DEFAULT_POLICY.quality_jpeg });
  });

  it('still applies the allowed formats', () => {
    expectInvalidOps(() => planFor('original', { extension: 'gif', policy: { allowed_formats: ['jpeg'] } }), { token: '.gif' });
  });
});

describe('variantKey', () => {
  it('is the hex sha256 of canonical, content hash and format', () => {
    const expected = createHash('sha256').update('w_800\nabc\nwebp').digest('hex');
    expect(variantKey('w_800', 'abc', 'webp')).toBe(expected);
  });

  it('differs when any part differs', () => {
    const base = variantKey('w_800', 'abc', 'webp');
    expect(variantKey('w_801', 'abc', 'webp')).not.toBe(base);
    expect(variantKey('w_800', 'abd', 'webp')).not.toBe(base);
    expect(variantKey('w_800', 'abc', 'avif')).not.toBe(base);
  });
});
