import { describe, expect, it } from 'vitest';
import { parseDeliveryPath } from '../../../core/delivery-path.ts';
import { parseOps } from '../../../core/ops/parse.ts';
import { densitySrcset, sizes, widthSrcset, type ImageRef } from '../src/index.ts';

const REF: ImageRef = { org: 'acme', tenant: 'website', space: 'media', assetId: '0b8a5a3e-6f1c-4c1e-9a51-3f0c1d2e4b5a' };

/** [url, descriptor] pairs of a srcset string. */
function candidates(srcset: string): [string, string][] {
  return srcset.split(', ').map((candidate) => candidate.split(' ') as [string, string]);
}

describe('widthSrcset', () => {
  it('gives one canonical URL per width, narrowest first, without duplicates', () => {
    const srcset = widthSrcset(REF, [800, 400, 1200, 400], { ops: { format: 'auto', fit: 'cover', height: 300 } });
    const pairs = candidates(srcset);
    expect(pairs.map(([, descriptor]) => descriptor)).toEqual(['400w', '800w', '1200w']);
    for (const [url, descriptor] of pairs) {
      const ops = parseOps(parseDeliveryPath(url).ops);
      expect(ops).toEqual({ width: Number.parseInt(descriptor, 10), height: 300, fit: 'cover', format: 'auto' });
    }
  });

  it('refuses an empty list and a width the grammar refuses', () => {
    expect(() => widthSrcset(REF, [])).toThrow(RangeError);
    expect(() => widthSrcset(REF, [400, 0])).toThrow(/w must be/);
  });
});

describe('densitySrcset', () => {
  it('keeps the CSS width and adds dpr, leaving 1x without it', () => {
    const pairs = candidates(densitySrcset(REF, [2, 1, 1.5], { ops: { width: 320, dpr: 3, format: 'auto' } }));
    expect(pairs.map(([, descriptor]) => descriptor)).toEqual(['1x', '1.5x', '2x']);
    expect(pairs.map(([url]) => parseDeliveryPath(url).ops)).toEqual(['w_320-fmt_auto', 'w_320-dpr_1.5-fmt_auto', 'w_320-dpr_2-fmt_auto']);
  });

  it('refuses a density the grammar refuses', () => {
    expect(() => densitySrcset(REF, [1, 4.5], { ops: { width: 100 } })).toThrow(/dpr must be/);
  });
});

describe('sizes', () => {
  it('lists the media rules in order, then the fallback', () => {
    expect(sizes([{ media: '(max-width: 600px)', size: '100vw' }, { media: '(max-width: 1200px)', size: '50vw' }], '600px')).toBe(
      '(max-width: 600px) 100vw, (max-width: 1200px) 50vw, 600px',
    );
  });
});
