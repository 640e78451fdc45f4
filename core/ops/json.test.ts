import { describe, expect, it } from 'vitest';
import { parsedOpsFromJson, parsedOpsToJson } from './json.ts';
import { parseOps } from './parse.ts';
import { expectInvalidOps } from './ops-test-helpers.ts';

describe('preset JSON', () => {
  it('reads URL keys with JSON types into ParsedOps', () => {
    expect(
      parsedOpsFromJson({ w: 200, h: 200, f: 'cover', fmt: 'jpg', q: 'auto', r: 90, b: 'ABC', dpr: 2, blur: 1.5, bw: true, flip: false }),
    ).toEqual({
      width: 200,
      height: 200,
      fit: 'cover',
      format: 'jpeg',
      quality: 'auto',
      rotate: 90,
      background: 'aabbcc',
      dpr: 2,
      blur: 1.5,
      grayscale: true,
    });
  });

  it('writes the same ops back in canonical key order', () => {
    const json = parsedOpsToJson(parseOps('up-flop-g_south-q_70-h_10-w_20'));
    expect(json).toEqual({ w: 20, h: 10, g: 'south', q: 70, flop: true, up: true });
    expect(Object.keys(json)).toEqual(['w', 'h', 'g', 'q', 'flop', 'up']);
  });

  it('round-trips every key through JSON', () => {
    const ops = parseOps('w_8-h_9-dpr_1.25-f_pad-g_entropy-b_00000080-q_auto-fmt_avif-r_270-blur_2-sharpen_1-bw-flip-flop-up');
    expect(parsedOpsFromJson(JSON.parse(JSON.stringify(parsedOpsToJson(ops))))).toEqual(ops);
  });

  it.each([
    ['not an object', [], ''],
    ['null', null, ''],
    ['a string', 'w_100', ''],
  ])('rejects %s with 400', (_name, value, key) => {
    expectInvalidOps(() => parsedOpsFromJson(value), { key });
  });

  it.each([
    ['unknown key', { zoom: 2 }, 'zoom'],
    ['nested preset', { preset: 'thumb' }, 'preset'],
    ['original', { original: true }, 'original'],
    ['width as a string', { w: '200' }, 'w'],
    ['width out of range', { w: 0 }, 'w'],
    ['width fractional', { w: 1.5 }, 'w'],
    ['width infinite', { w: Number.POSITIVE_INFINITY }, 'w'],
    ['fit as a number', { f: 1 }, 'f'],
    ['rotation as a string', { r: '90' }, 'r'],
    ['flag as a string', { bw: 'yes' }, 'bw'],
    ['quality as an object', { q: { value: 80 } }, 'q'],
    ['prototype key', JSON.parse('{"__proto__": {"w": 1}}'), '__proto__'],
  ])('rejects %s with 400 naming the key', (_name, value, key) => {
    expectInvalidOps(() => parsedOpsFromJson(value), { key });
  });
});
