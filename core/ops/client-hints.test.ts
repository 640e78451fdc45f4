import { describe, expect, it } from 'vitest';
import { expectInvalidOps, planFor } from './ops-test-helpers.ts';

describe('planVariant: client hints (ch)', () => {
  it('ignores hint headers unless the URL says ch, and then varies on nothing', () => {
    const plan = planFor('w_400', { hints: { dpr: '2', width: '900', saveData: 'on' } });
    expect(plan.ops).toMatchObject({ width: 400, quality: 80 });
    expect(plan.vary).toEqual([]);
    expect(plan.clientHints).toBe(false);
  });

  it('scales w_/h_ by Sec-CH-DPR like dpr_, and lists it in Vary', () => {
    const plan = planFor('ch-w_400-h_300', { hints: { dpr: '1.5' } });
    expect(plan.ops).toMatchObject({ width: 600, height: 450 });
    expect(plan.canonical).toBe(planFor('w_600-h_450').canonical);
    expect(plan.vary).toEqual(['Sec-CH-DPR', 'Save-Data']);
    expect(plan.clientHints).toBe(true);
  });

  it('lets the URL\'s dpr_ win over the hint, which is then not consulted', () => {
    const plan = planFor('ch-w_400-dpr_2', { hints: { dpr: '3' } });
    expect(plan.ops.width).toBe(800);
    expect(plan.vary).not.toContain('Sec-CH-DPR');
  });

  it.each([
    ['absent', undefined, 400],
    ['unreadable', 'two', 400],
    ['below 1', '0.75', 400],
    ['above 4', '5', 1600],
    ['with many decimals', '2.625', 1052],
  ])('treats a DPR hint %s as advice', (_name, dpr, width) => {
    expect(planFor('ch-w_400', { hints: { dpr } }).ops.width).toBe(width);
  });

  it('lowers a hinted dpr so that the size stays within the policy instead of failing', () => {
    expect(planFor('ch-w_3000', { hints: { dpr: '3' } }).ops.width).toBe(4096);
    expectInvalidOps(() => planFor('ch-w_5000', { hints: { dpr: '1' } }), { token: 'w_5000' });
  });

  it('takes w_auto from Sec-CH-Width in device pixels, clamped to the maximum', () => {
    const plan = planFor('ch-w_auto', { hints: { width: '640', dpr: '2' } });
    expect(plan.ops.width).toBe(640);
    expect(plan.vary).toEqual(['Sec-CH-Width', 'Save-Data']);
    expect(planFor('ch-w_auto', { hints: { width: '9000' } }).ops.width).toBe(4096);
    expect(planFor('ch-w_auto-ar_2:1', { hints: { width: '640' } }).ops).toMatchObject({ width: 640, height: 320 });
  });

  it('leaves the width open when w_auto has no usable hint', () => {
    expect(planFor('ch-w_auto', {}).ops.width).toBeNull();
    expect(planFor('ch-w_auto-ar_2:1', { hints: { width: '-3' } }).ops).toMatchObject({ width: null, height: null });
  });

  it('lowers the policy quality for Save-Data: on, but not an explicit q_', () => {
    expect(planFor('ch-w_10', { hints: { saveData: 'on' } }).ops.quality).toBe(60);
    expect(planFor('ch-w_10', { hints: { saveData: 'On ' } }).ops.quality).toBe(60);
    expect(planFor('ch-w_10', { hints: { saveData: 'off' } }).ops.quality).toBe(80);
    const explicit = planFor('ch-w_10-q_90', { hints: { saveData: 'on' } });
    expect(explicit.ops.quality).toBe(90);
    expect(explicit.vary).not.toContain('Save-Data');
    expect(planFor('ch-w_10', { hints: { saveData: 'on' }, extension: 'png' }).vary).toEqual(['Sec-CH-DPR']);
  });

  it('puts Accept first when the format was negotiated too', () => {
    expect(planFor('ch-w_10-fmt_auto', { accept: 'image/webp' }).vary).toEqual(['Accept', 'Sec-CH-DPR', 'Save-Data']);
  });

  it('drops ch from the canonical string: the hints are folded into the values', () => {
    const hinted = planFor('ch-w_auto', { hints: { width: '500', saveData: 'on' } });
    expect(hinted.canonical).toBe(planFor('w_500-q_60').canonical);
  });
});
