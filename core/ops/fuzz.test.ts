/**
 * Grammar fuzz: random and mutated op strings (every key and flag, client hint headers included)
 * through parse + plan must either succeed or throw the grammar's 400, never anything else; every
 * success must re-plan from its canonical string to the same canonical and the same TransformOps.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImgplaneError } from '../errors.ts';
import { DEFAULT_POLICY } from '../policy.ts';
import type { EffectivePolicy } from '../policy.ts';
import { parseOps } from './parse.ts';
import { planVariant } from './plan.ts';
import type { VariantPlan } from './plan.ts';
import type { ClientHints } from './client-hints.ts';
import { FITS, GRAVITIES } from './types.ts';

const PRESETS = {
  thumb: { w: 200, h: 200, f: 'cover', fmt: 'webp' },
  mono: { bw: true, q: 'auto', dpr: 2 },
  huge: { w: 16_000 },
  broken: { w: 'wide' },
};
const POLICIES: EffectivePolicy[] = [
  DEFAULT_POLICY,
  { ...DEFAULT_POLICY, max_width: 1000, max_height: 800, allowed_formats: ['jpeg', 'png', 'webp'], quality_jpeg: 90, jpeg_progressive: true },
];
const EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'avif', 'gif', 'jpg', 'webp', 'bmp', 'JPG', ''];
const ACCEPTS = [undefined, '*/*', 'image/avif,image/webp,*/*;q=0.8', 'image/webp;q=0', 'image/avif;q=0.x'];
const SOURCES = [
  { format: 'jpeg', hasAlpha: false, frames: 1, width: 2725, height: 2225 },
  { format: 'png', hasAlpha: true, frames: 1, width: 300, height: 200 },
  { format: 'gif', hasAlpha: true, frames: 12, width: 80, height: 80 },
];

const decimal = (min: number, max: number) =>
  fc.tuple(fc.double({ min, max, noNaN: true }), fc.nat(3)).map(([value, digits]) => value.toFixed(digits));
const fraction = fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(5)).map(([value, digits]) => value.toFixed(digits));
const pixels = (max: number) => fc.integer({ min: 0, max }).map(String);
const validValues: Record<string, fc.Arbitrary<string>> = {
  w: fc.oneof(fc.integer({ min: 1, max: 5000 }).map(String), fc.constant('auto')),
  h: fc.integer({ min: 1, max: 5000 }).map(String),
  dpr: fc.constantFrom('1', '1.5', '2', '3.25', '4'),
  f: fc.constantFrom(...FITS),
  g: fc.constantFrom(...GRAVITIES, 'centre'),
  b: fc.constantFrom('fff', '000000', 'ABCDEF80', '112233ff'),
  q: fc.oneof(fc.integer({ min: 1, max: 100 }).map(String), fc.constant('auto')),
  fmt: fc.constantFrom('jpg', 'jpeg', 'png', 'webp', 'avif', 'gif', 'auto'),
  r: fc.constantFrom('0', '90', '180', '270'),
  blur: decimal(0.3, 1000),
  sharpen: decimal(0.5, 10),
  rect: fc.oneof(fc.tuple(pixels(3000), pixels(3000), pixels(3000), pixels(3000)), fc.tuple(fraction, fraction, fraction, fraction)).map((values) => values.join(',')),
  fp: fc.tuple(fraction, fraction).map((values) => values.join(',')),
  ar: fc.tuple(decimal(0.01, 50), decimal(0.01, 50)).map(([width, height]) => `${width}:${height}`),
  trim: pixels(300),
  ext: fc.tuple(pixels(100), pixels(100), pixels(100), pixels(100)).map((values) => values.join(',')),
  bri: decimal(0, 11),
  con: decimal(0, 11),
  sat: decimal(0, 11),
  hue: pixels(400),
  gam: decimal(0.3, 3.2),
  tint: fc.constantFrom('fff', '704214', 'ABCDEF', '11223380'),
  preset: fc.constantFrom('thumb', 'mono', 'huge', 'broken', 'nope'),
};
const validToken = fc.oneof(
  fc.constantFrom(...Object.keys(validValues)).chain((key) => (validValues[key] ?? fc.constant('')).map((value) => `${key}_${value}`)),
  fc.constantFrom('bw', 'flip', 'flop', 'up', 'trim', 'norm', 'prog', 'lossless', 'png8', 'ch', 'ch', 'ch'),
);
const noisyToken = fc.tuple(
  fc.constantFrom(...Object.keys(validValues), 'bw', 'zz', 'W', '', 'norm', 'ch'),
  fc.oneof(
    fc.integer({ min: -5, max: 20_000 }).map(String),
    decimal(0, 1200),
    fc.string({ maxLength: 8 }),
    fc.tuple(fc.array(fc.oneof(decimal(0, 2), pixels(5000)), { minLength: 1, maxLength: 5 }), fc.constantFrom(',', ':'))
      .map(([values, separator]) => values.join(separator)),
  ),
).map(([key, value]) => `${key}_${value}`);
const token = fc.oneof(
  { weight: 8, arbitrary: validToken },
  { weight: 1, arbitrary: noisyToken },
  { weight: 1, arbitrary: fc.constantFrom('original', '') },
);
const opString = fc.oneof(
  fc.array(token, { maxLength: 8 }).map((tokens) => tokens.join('-')),
  fc.constant('original'),
);

const character = fc.oneof(fc.constantFrom('-', '_', '.', '0', '9', 'a', 'w', '%', '\u0000', '\uD800'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
const mutation = fc.record({ at: fc.nat(), kind: fc.constantFrom('insert', 'delete', 'replace', 'double'), character });
const mutatedOpString = fc.tuple(opString, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([raw, mutations]) =>
  mutations.reduce((text, { at, kind, character: inserted }) => {
    const index = text.length === 0 ? 0 : at % text.length;
    if (kind === 'insert') return text.slice(0, index) + inserted + text.slice(index);
    if (kind === 'delete') return text.slice(0, index) + text.slice(index + 1);
    if (kind === 'replace') return text.slice(0, index) + inserted + text.slice(index + 1);
    return text + '-' + text;
  }, raw),
);
const randomString = fc.string({ unit: 'binary', maxLength: 600 });

const hints = fc.record(
  {
    dpr: fc.constantFrom('1', '2', '2.625', '0.5', '9', 'x', ''),
    width: fc.constantFrom('320', '1', '99999', '-1', 'wide', ''),
    saveData: fc.constantFrom('on', 'off', 'ON', ''),
  },
  { requiredKeys: [] },
);

const context = fc.record({
  extension: fc.constantFrom(...EXTENSIONS),
  accept: fc.constantFrom(...ACCEPTS),
  policy: fc.constantFrom(...POLICIES),
  source: fc.constantFrom(...SOURCES),
  hints,
});

type Context = {
  extension: string;
  accept: string | undefined;
  policy: EffectivePolicy;
  source: (typeof SOURCES)[number];
  hints: ClientHints;
};

function plan(raw: string, ctx: Context): VariantPlan | ImgplaneError {
  try {
    return planVariant({ ...ctx, parsed: parseOps(raw), presets: PRESETS });
  } catch (error) {
    if (error instanceof ImgplaneError && error.status === 400 && error.code === 'invalid_ops') return error;
    throw error;
  }
}

function checkTotalAndIdempotent(raw: string, ctx: Context): void {
  const first = plan(raw, ctx);
  if (first instanceof ImgplaneError) {
    expect(typeof first.detail?.['token']).toBe('string');
    return;
  }
  const again = plan(first.canonical, { ...ctx, extension: first.ops.format });
  expect(again).not.toBeInstanceOf(ImgplaneError);
  expect((again as VariantPlan).canonical).toBe(first.canonical);
  expect((again as VariantPlan).ops).toEqual(first.ops);
}

const RUNS = 4000;
const settings = { seed: 20_260_101, numRuns: RUNS };

describe('ops grammar fuzz', () => {
  it('grammar-shaped op strings plan or fail with 400, and canonical strings are fixed points', () => {
    fc.assert(fc.property(opString, context, checkTotalAndIdempotent), settings);
  });

  it('mutated op strings plan or fail with 400', () => {
    fc.assert(fc.property(mutatedOpString, context, checkTotalAndIdempotent), settings);
  });

  it('arbitrary unicode plans or fails with 400', () => {
    fc.assert(fc.property(randomString, context, checkTotalAndIdempotent), settings);
  });

  it('a meaningful share of generated strings succeed, so the fixed-point check has work to do', () => {
    const successes = fc.sample(fc.tuple(opString, context), { seed: 7, numRuns: 2000 })
      .filter(([raw, ctx]) => !(plan(raw, ctx) instanceof ImgplaneError)).length;
    expect(successes).toBeGreaterThan(400);
  });
});
