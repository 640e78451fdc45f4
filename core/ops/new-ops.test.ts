/**
 * The operations of issue 13 through parse and plan: every URL name, its canonical form, the
 * spellings that name one variant, and the 400 for each bad value.
 */
import { describe, expect, it } from 'vitest';
import { parsedOpsFromJson, parsedOpsToJson } from './json.ts';
import { parseOps } from './parse.ts';
import { QUALITY_IGNORED } from './plan.ts';
import { expectInvalidOps, planFor } from './ops-test-helpers.ts';

const canonicalOf = (raw: string, overrides: Parameters<typeof planFor>[1] = {}) => planFor(raw, overrides).canonical;
const BASE = 'f_cover-g_center-b_ffffff-q_80-r_0';

describe('parseOps: new operations', () => {
  it.each([
    ['rect_10,20,300,200', { rect: { unit: 'px', x: 10, y: 20, width: 300, height: 200 } }],
    ['rect_0.1,0.2,0.5,0.25', { rect: { unit: 'fraction', x: 0.1, y: 0.2, width: 0.5, height: 0.25 } }],
    ['rect_0,0,0.5,1', { rect: { unit: 'fraction', x: 0, y: 0, width: 0.5, height: 1 } }],
    ['rect_0.3,0,0.7,1.0', { rect: { unit: 'fraction', x: 0.3, y: 0, width: 0.7, height: 1 } }],
    ['fp_0.25,0.7512', { focal: { x: 0.25, y: 0.7512 } }],
    ['fp_1,0', { focal: { x: 1, y: 0 } }],
    ['ar_16:9', { aspect: { width: 16, height: 9 } }],
    ['ar_1.91:1', { aspect: { width: 1.91, height: 1 } }],
    ['trim', { trim: 10 }],
    ['trim_0', { trim: 0 }],
    ['trim_40', { trim: 40 }],
    ['ext_1,2,3,4', { extend: { top: 1, right: 2, bottom: 3, left: 4 } }],
    ['bri_1.2', { brightness: 1.2 }],
    ['con_0.5', { contrast: 0.5 }],
    ['sat_0', { saturation: 0 }],
    ['hue_180', { hue: 180 }],
    ['gam_2.2', { gamma: 2.2 }],
    ['gam_0.5', { gamma: 0.5 }],
    ['tint_F80', { tint: 'ff8800' }],
    ['tint_704214', { tint: '704214' }],
    ['norm-prog-lossless-png8-ch', { normalise: true, progressive: true, lossless: true, palette: true, clientHints: true }],
    ['w_auto-ch', { width: 'auto', clientHints: true }],
  ])('reads %s', (raw, expected) => {
    expect(parseOps(raw)).toEqual(expected);
  });

  it.each([
    ['rect with three values', 'rect_1,2,3'],
    ['rect with zero width', 'rect_0,0,0,10'],
    ['rect with a leading zero', 'rect_01,0,10,10'],
    ['rect fraction over 1', 'rect_0,0,1.5,0.5'],
    ['rect fraction reaching past the edge', 'rect_0.6,0,0.5,0.5'],
    ['rect fraction with five decimals', 'rect_0.12345,0,0.5,0.5'],
    ['rect with spaces', 'rect_1, 2,3,4'],
    ['fp outside 0-1', 'fp_1.2,0.5'],
    ['fp with one value', 'fp_0.5'],
    ['ar without a colon', 'ar_16x9'],
    ['ar with a zero side', 'ar_0:1'],
    ['ar flatter than 100:1', 'ar_1000:1'],
    ['trim over 255', 'trim_256'],
    ['trim decimal', 'trim_1.5'],
    ['ext with two values', 'ext_10,10'],
    ['ext over 4096', 'ext_0,0,0,5000'],
    ['bri over 10', 'bri_11'],
    ['con over 10', 'con_10.5'],
    ['sat three decimals', 'sat_1.255'],
    ['hue 360', 'hue_360'],
    ['hue decimal', 'hue_1.5'],
    ['gam under 0.5', 'gam_0.4'],
    ['gam over 3', 'gam_3.01'],
    ['tint with alpha', 'tint_ff000080'],
    ['tint not hex', 'tint_red'],
    ['w_ neither number nor auto', 'w_automatic'],
    ['a flag with a value', 'norm_1'],
    ['png8 with a value', 'png8_1'],
  ])('rejects %s with 400 naming the token', (_name, raw) => {
    expectInvalidOps(() => parseOps(raw), { token: raw });
  });

  it('rejects a repeated trim in either spelling', () => {
    expectInvalidOps(() => parseOps('trim-trim_5'), { token: 'trim_5' });
  });

  it('reads and writes the new keys in presets', () => {
    const json = { rect: '10,20,30,40', fp: '0.5,0.5', ar: '4:3', trim: true, ext: '1,1,1,1', bri: 1.5, hue: 90, tint: 'ABC', norm: true, png8: true };
    const parsed = parsedOpsFromJson(json);
    expect(parsed).toMatchObject({ rect: { unit: 'px', x: 10 }, focal: { x: 0.5 }, aspect: { width: 4 }, trim: 10, brightness: 1.5, tint: 'aabbcc', palette: true });
    expect(parsedOpsToJson(parsed)).toMatchObject({ rect: '10,20,30,40', trim: 10, tint: 'aabbcc', norm: true, png8: true });
    expect(parseOps(`rect_${parsedOpsToJson({ rect: { unit: 'fraction', x: 0, y: 0, width: 1, height: 0.5 } }).rect}`).rect?.unit).toBe('fraction');
  });
});

describe('planVariant: canonical forms of the new operations', () => {
  it('appends the new keys after the existing ones, so existing canonical strings do not change', () => {
    expect(canonicalOf('w_800')).toBe(`w_800-${BASE}`);
    expect(canonicalOf('tint_abc-gam_2-hue_10-sat_2-con_2-bri_2-ext_1,2,3,4-trim-rect_1,2,3,4-w_10-norm')).toBe(
      `w_10-${BASE}-rect_1,2,3,4-trim_10-ext_1,2,3,4-bri_2-con_2-sat_2-hue_10-gam_2-tint_aabbcc-norm`,
    );
  });

  it.each([
    ['rect_0.25,0.5,0.5,0.5', 'rect_200,300,400,300'],
    ['rect_0,0,800,600', 'dpr_1'],
    ['rect_0,0,1.0,1.0', 'dpr_1'],
    ['trim', 'trim_10'],
    ['ext_0,0,0,0', 'dpr_1'],
    ['bri_1-con_1-sat_1-hue_0-gam_1', 'dpr_1'],
    ['w_200-ar_2:1', 'w_200-h_100'],
    ['h_90-ar_16:9', 'w_160-h_90'],
    ['w_100-dpr_2-ar_1:1', 'w_200-h_200'],
    ['w_100-h_100-fp_0.2,0.3-g_north', 'w_100-h_100-fp_0.2,0.3'],
    ['w_100-fp_0.2,0.3', 'w_100'],
    ['w_100-h_100-f_contain-fp_0.2,0.3', 'w_100-h_100-f_contain'],
    ['bw-tint_704214', 'tint_704214'],
    ['prog', 'dpr_1'],
  ])('%s names the same variant as %s', (left, right) => {
    const extension = left === 'prog' ? 'webp' : 'jpg';
    expect(canonicalOf(left, { extension })).toBe(canonicalOf(right, { extension }));
  });

  it('keeps prog for JPEG and PNG only, lossless for WebP and AVIF only, png8 for PNG only', () => {
    expect(planFor('prog').ops.progressive).toBe(true);
    expect(planFor('prog', { extension: 'png' }).ops.progressive).toBe(true);
    expect(planFor('prog', { extension: 'gif' }).ops.progressive).toBe(false);
    expect(planFor('lossless', { extension: 'webp' }).ops).toMatchObject({ lossless: true, quality: QUALITY_IGNORED });
    expect(planFor('lossless-q_50', { extension: 'avif' }).canonical).toBe(planFor('lossless', { extension: 'avif' }).canonical);
    expect(planFor('lossless').ops.lossless).toBe(false);
    expect(planFor('png8', { extension: 'png' }).canonical).toContain('png8');
    expect(planFor('png8', { extension: 'webp' }).canonical).not.toContain('png8');
  });

  it('makes JPEGs progressive by policy, and says so in the canonical string', () => {
    const plan = planFor('w_10', { policy: { jpeg_progressive: true } });
    expect(plan.ops.progressive).toBe(true);
    expect(plan.canonical).toBe(canonicalOf('w_10-prog'));
    expect(planFor('w_10', { policy: { jpeg_progressive: true }, extension: 'png' }).ops.progressive).toBe(false);
  });

  it('resolves fractions to whole pixels of the original, never less than one', () => {
    const source = { format: 'jpeg', hasAlpha: false, frames: 1, width: 333, height: 101 };
    expect(planFor('rect_0.1,0.1,0.3333,0.5', { source }).ops.rect).toEqual({ left: 33, top: 10, width: 111, height: 51 });
    expect(planFor('rect_0.9999,0,0.0001,1', { source }).ops.rect).toEqual({ left: 332, top: 0, width: 1, height: 101 });
  });
});

describe('planVariant: errors of the new operations', () => {
  it('rejects a pixel rectangle outside the original with 400 saying so', () => {
    const error = expectInvalidOps(() => planFor('rect_700,0,200,100'), { token: 'rect_700,0,200,100' });
    expect(error.message).toContain('outside the image, which is 800x600 pixels');
    expectInvalidOps(() => planFor('w_10-rect_0,599,1,2'), { token: 'rect_0,599,1,2' });
    expect(planFor('rect_799,599,1,1').ops.rect).toEqual({ left: 799, top: 599, width: 1, height: 1 });
  });

  it('rejects ar_ with both sides or neither', () => {
    expectInvalidOps(() => planFor('w_10-h_10-ar_1:1'), { token: 'ar_1:1' });
    expectInvalidOps(() => planFor('ar_1:1'), { token: 'ar_1:1' });
  });

  it('rejects ar_ and ext_ that take the output over the policy maximum, naming them', () => {
    expectInvalidOps(() => planFor('w_4000-ar_1:2'), { token: 'ar_1:2' });
    expectInvalidOps(() => planFor('h_4000-ar_2:1'), { token: 'ar_2:1' });
    expectInvalidOps(() => planFor('w_4000-ext_0,50,0,50'), { token: 'ext_0,50,0,50' });
    expectInvalidOps(() => planFor('h_4090-ext_4,0,3,0'), { token: 'ext_4,0,3,0' });
    expect(planFor('w_4000-ext_0,48,0,48').ops.extend).toEqual({ top: 0, right: 48, bottom: 0, left: 48 });
  });

  it('rejects w_auto without ch', () => {
    expectInvalidOps(() => planFor('w_auto'), { token: 'w_auto' });
  });
});
