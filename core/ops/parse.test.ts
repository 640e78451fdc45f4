import { describe, expect, it } from 'vitest';
import { MAX_OPS_LENGTH, parseOps } from './parse.ts';
import { expectInvalidOps } from './ops-test-helpers.ts';

describe('parseOps', () => {
  it('reads every key, flag and preset', () => {
    expect(
      parseOps('w_800-h_600-dpr_1.5-f_contain-g_northeast-b_FFF-q_75-fmt_webp-r_90-blur_0.3-sharpen_2.25-bw-flip-flop-up-preset_thumb_sq'),
    ).toEqual({
      width: 800,
      height: 600,
      dpr: 1.5,
      fit: 'contain',
      gravity: 'northeast',
      background: 'ffffff',
      quality: 75,
      format: 'webp',
      rotate: 90,
      blur: 0.3,
      sharpen: 2.25,
      grayscale: true,
      flip: true,
      flop: true,
      upscale: true,
      presets: ['thumb_sq'],
    });
  });

  it('reads the lone word original', () => {
    expect(parseOps('original')).toEqual({ original: true });
  });

  it.each([
    ['fmt_jpg', { format: 'jpeg' }],
    ['fmt_auto', { format: 'auto' }],
    ['g_centre', { gravity: 'center' }],
    ['q_auto', { quality: 'auto' }],
    ['q_100', { quality: 100 }],
    ['r_0', { rotate: 0 }],
    ['b_AbCdEf', { background: 'abcdef' }],
    ['b_11223380', { background: '11223380' }],
    ['b_112233ff', { background: '112233' }],
    ['w_16384', { width: 16_384 }],
    ['dpr_4', { dpr: 4 }],
    ['blur_1000', { blur: 1000 }],
    ['sharpen_0.5', { sharpen: 0.5 }],
    ['preset_a-preset_b', { presets: ['a', 'b'] }],
  ])('normalises %s', (raw, expected) => {
    expect(parseOps(raw)).toEqual(expected);
  });

  it.each([
    ['unknown key', 'w_10-zoom_2', 'zoom_2'],
    ['unknown bare word', 'w_10-sepia', 'sepia'],
    ['key without value', 'w', 'w'],
    ['duplicate key', 'w_10-h_5-w_10', 'w_10'],
    ['duplicate flag', 'bw-bw', 'bw'],
    ['duplicate preset', 'preset_a-preset_a', 'preset_a'],
    ['empty token in the middle', 'w_10--h_5', ''],
    ['empty token at the end', 'w_10-', ''],
    ['empty string', '', ''],
    ['original with others', 'original-w_10', 'original'],
    ['flag with a value', 'flip_1', 'flip_1'],
    ['width zero', 'w_0', 'w_0'],
    ['width over the grammar limit', 'w_16385', 'w_16385'],
    ['width with leading zero', 'w_080', 'w_080'],
    ['width negative', 'w_-1', 'w_'],
    ['width decimal', 'h_10.5', 'h_10.5'],
    ['width exponent', 'w_1e3', 'w_1e3'],
    ['dpr below 1', 'dpr_0.5', 'dpr_0.5'],
    ['dpr above 4', 'dpr_4.01', 'dpr_4.01'],
    ['dpr with three decimals', 'dpr_1.255', 'dpr_1.255'],
    ['quality zero', 'q_0', 'q_0'],
    ['quality over 100', 'q_101', 'q_101'],
    ['unknown fit', 'f_stretch', 'f_stretch'],
    ['unknown gravity', 'g_middle', 'g_middle'],
    ['uppercase value', 'fmt_WEBP', 'fmt_WEBP'],
    ['unknown format', 'fmt_tiff', 'fmt_tiff'],
    ['odd rotation', 'r_45', 'r_45'],
    ['background of 4 digits', 'b_abcd', 'b_abcd'],
    ['background not hex', 'b_zzzzzz', 'b_zzzzzz'],
    ['blur too small', 'blur_0.2', 'blur_0.2'],
    ['sharpen too large', 'sharpen_10.5', 'sharpen_10.5'],
    ['preset with uppercase', 'preset_Thumb', 'preset_Thumb'],
    ['preset without name', 'preset_', 'preset_'],
    ['uppercase key', 'W_100', 'W_100'],
  ])('rejects %s with 400 naming the token', (_name, raw, token) => {
    expectInvalidOps(() => parseOps(raw), { token });
  });

  it('rejects an over-long segment before looking at tokens', () => {
    const raw = 'w_1-'.repeat(200);
    expect(raw.length).toBeGreaterThan(MAX_OPS_LENGTH);
    expectInvalidOps(() => parseOps(raw), { token: raw.slice(0, 64) });
  });

  it('rejects too many tokens', () => {
    const raw = Array.from({ length: 40 }, (_, index) => `preset_p${index}`).join('-');
    expectInvalidOps(() => parseOps(raw), { token: raw.slice(0, 64) });
  });

  it.each([
    ['underscores', '_'.repeat(512), '_'.repeat(512)],
    ['a long hex run', `b_${'f'.repeat(509)}`, `b_${'f'.repeat(509)}`],
    ['a long number', `dpr_${'1'.repeat(400)}.`, `dpr_${'1'.repeat(400)}.`],
    ['only separators', '-'.repeat(31), ''],
  ])('rejects hostile input (%s) with 400', (_name, raw, token) => {
    expectInvalidOps(() => parseOps(raw), { token });
  });
});
