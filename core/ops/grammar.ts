/**
 * The vocabulary of the ops grammar: every key a URL token or a preset may use, how its value is
 * read from text, and how it is written back. URL parsing (parse.ts), preset JSON (json.ts) and
 * the canonical string (canonical.ts) all read this one table, so a key cannot be accepted in one
 * place and unknown in another.
 *
 * Numbers are strict on purpose: no leading zeros, no signs, no exponents, at most two decimals.
 * Canonicalization would absorb `w_0800`, but every extra spelling is one more URL a client can use
 * to miss the CDN cache, and two decimals are plenty for dpr, blur and sharpen. Fractions of the
 * image (`rect_`, `fp_`) take four, so a point can be placed to the pixel on a 10,000-pixel side.
 *
 * Browser-safe on purpose (no Node imports): packages/url bundles this grammar for clients.
 */
import { ImgplaneError } from '../errors.ts';
import { FITS, GRAVITIES } from './types.ts';
import type { ParsedOps } from './types.ts';

/** Builds the 400 every grammar mistake produces, naming the offending token (or preset key). */
export function invalidOps(message: string, detail: { token: string } | { key: string }): ImgplaneError {
  return new ImgplaneError('invalid_ops', message, { detail });
}

/** A scalar as it appears in preset JSON. */
export type OpJsonValue = string | number | boolean;

export interface ValueSpec {
  /** The URL key before '_' (`w` in `w_800`), also the preset JSON key. */
  readonly key: string;
  /** Human description of the accepted values, used in error messages. */
  readonly expects: string;
  /** JSON types a preset may use for this key. */
  readonly jsonTypes: readonly ('number' | 'string')[];
  /** The ParsedOps fields set by a valid value text; undefined when the text is invalid. */
  readonly parse: (text: string) => Partial<ParsedOps> | undefined;
  /** What the key means written alone, without `_value` (`trim`); absent when it needs a value. */
  readonly bare?: Partial<ParsedOps>;
  /** This key's value in `ops` (canonical text form), or undefined when `ops` does not set it. */
  readonly read: (ops: ParsedOps) => string | number | undefined;
}

type NumericField =
  | 'height' | 'dpr' | 'blur' | 'sharpen' | 'trim'
  | 'brightness' | 'contrast' | 'saturation' | 'hue' | 'gamma';

const INTEGER_TEXT = /^(?:0|[1-9][0-9]{0,5})$/;
const DECIMAL_TEXT = /^(?:0|[1-9][0-9]{0,5})(?:\.[0-9]{1,2})?$/;
/** A fraction of the image: 0 to 1 with up to four decimals (range checked by the caller). */
const FRACTION_TEXT = /^[01](?:\.[0-9]{1,4})?$/;
const FRACTION_SCALE = 10_000;

/** A number in [min, max] written as `pattern` allows, or undefined. */
function numberIn(text: string, pattern: RegExp, min: number, max: number): number | undefined {
  if (!pattern.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

function numberSpec(key: string, field: NumericField, min: number, max: number, decimals: boolean): ValueSpec {
  const pattern = decimals ? DECIMAL_TEXT : INTEGER_TEXT;
  return {
    key,
    expects: `${decimals ? 'a number' : 'an integer'} from ${min} to ${max}`,
    jsonTypes: ['number'],
    parse: (text) => {
      const value = numberIn(text, pattern, min, max);
      return value === undefined ? undefined : { [field]: value };
    },
    read: (ops) => ops[field],
  };
}

/**
 * `w_`: pixels, or `auto` for the width the `Sec-CH-Width` client hint gives. A hint belongs to a
 * request, so presets (JSON numbers only) cannot say `auto`.
 */
const widthSpec: ValueSpec = {
  key: 'w',
  expects: 'an integer from 1 to 16384, or auto (with ch)',
  jsonTypes: ['number'],
  parse: (text) => {
    if (text === 'auto') return { width: 'auto' };
    const value = numberIn(text, INTEGER_TEXT, 1, 16_384);
    return value === undefined ? undefined : { width: value };
  },
  read: (ops) => ops.width,
};

/** `count` values separated by `separator`, each parsed by `part`; undefined if any fails. */
function list(text: string, separator: string, count: number, part: (item: string) => number | undefined): number[] | undefined {
  const items = text.split(separator);
  if (items.length !== count) return undefined;
  const values = items.map(part);
  return values.every((value) => value !== undefined) ? (values as number[]) : undefined;
}

const fraction = (text: string) => numberIn(text, FRACTION_TEXT, 0, 1);
/** Writes a fraction so that it reads back as one (`1` would read as a pixel in `rect_`). */
const fractionText = (value: number) => (Number.isInteger(value) ? value.toFixed(1) : String(value));
/** Fractions compared in whole ten-thousandths, so 0.3 + 0.7 is exactly 1. */
const fractionUnits = (value: number) => Math.round(value * FRACTION_SCALE);

/**
 * `rect_{x},{y},{w},{h}`: pixels, or fractions of the original's size when any value has a decimal
 * point (then every value is 0-1 and the rectangle must lie inside the image). Pixel rectangles are
 * checked against the original's size in planning, where it is known.
 */
const rectSpec: ValueSpec = {
  key: 'rect',
  expects: 'x,y,width,height in pixels (integers, width and height at least 1), or as fractions 0-1 with a decimal point (rect_0.1,0.1,0.5,0.5)',
  jsonTypes: ['string'],
  parse: (text) => {
    const unit = text.includes('.') ? 'fraction' : 'px';
    const values = unit === 'px' ? list(text, ',', 4, (item) => numberIn(item, INTEGER_TEXT, 0, 999_999)) : list(text, ',', 4, fraction);
    if (values === undefined) return undefined;
    const [x = 0, y = 0, width = 0, height = 0] = values;
    if (width <= 0 || height <= 0) return undefined;
    if (unit === 'fraction' && (fractionUnits(x) + fractionUnits(width) > FRACTION_SCALE || fractionUnits(y) + fractionUnits(height) > FRACTION_SCALE)) {
      return undefined;
    }
    return { rect: { unit, x, y, width, height } };
  },
  read: (ops) => {
    if (ops.rect === undefined) return undefined;
    const { unit, x, y, width, height } = ops.rect;
    return [x, y, width, height].map((value) => (unit === 'fraction' ? fractionText(value) : String(value))).join(',');
  },
};

const focalSpec: ValueSpec = {
  key: 'fp',
  expects: 'x,y as fractions 0-1 of the width and height (fp_0.5,0.25)',
  jsonTypes: ['string'],
  parse: (text) => {
    const values = list(text, ',', 2, fraction);
    return values === undefined ? undefined : { focal: { x: values[0] ?? 0, y: values[1] ?? 0 } };
  },
  read: (ops) => (ops.focal === undefined ? undefined : `${ops.focal.x},${ops.focal.y}`),
};

/** Aspect ratios from 1:100 to 100:1; each side a number with up to two decimals (`ar_1.91:1`). */
const aspectSpec: ValueSpec = {
  key: 'ar',
  expects: 'width:height, two positive numbers with a ratio between 1:100 and 100:1 (ar_16:9)',
  jsonTypes: ['string'],
  parse: (text) => {
    const values = list(text, ':', 2, (item) => numberIn(item, DECIMAL_TEXT, 0.01, 10_000));
    if (values === undefined) return undefined;
    const [width = 0, height = 0] = values;
    const ratio = width / height;
    return ratio >= 0.01 && ratio <= 100 ? { aspect: { width, height } } : undefined;
  },
  read: (ops) => (ops.aspect === undefined ? undefined : `${ops.aspect.width}:${ops.aspect.height}`),
};

/** `ext_{top},{right},{bottom},{left}` in pixels. */
const extendSpec: ValueSpec = {
  key: 'ext',
  expects: 'top,right,bottom,left border widths, integers from 0 to 4096 (ext_10,20,10,20)',
  jsonTypes: ['string'],
  parse: (text) => {
    const values = list(text, ',', 4, (item) => numberIn(item, INTEGER_TEXT, 0, 4096));
    if (values === undefined) return undefined;
    const [top = 0, right = 0, bottom = 0, left = 0] = values;
    return { extend: { top, right, bottom, left } };
  },
  read: (ops) => (ops.extend === undefined ? undefined : [ops.extend.top, ops.extend.right, ops.extend.bottom, ops.extend.left].join(',')),
};

/** sharp's default trim threshold, what `trim` alone means. */
export const DEFAULT_TRIM_THRESHOLD = 10;

const trimSpec: ValueSpec = {
  ...numberSpec('trim', 'trim', 0, 255, false),
  bare: { trim: DEFAULT_TRIM_THRESHOLD },
};

function choiceSpec<F extends 'fit' | 'gravity' | 'format' | 'rotate'>(
  key: string,
  field: F,
  choices: ReadonlyMap<string, NonNullable<ParsedOps[F]>>,
  jsonType: 'number' | 'string',
): ValueSpec {
  const canonicalChoices = [...new Set(choices.values())];
  return {
    key,
    expects: `one of ${canonicalChoices.join(', ')}`,
    jsonTypes: [jsonType],
    parse: (text) => {
      const value = choices.get(text);
      return value === undefined ? undefined : ({ [field]: value } as Partial<ParsedOps>);
    },
    read: (ops) => ops[field],
  };
}

const identity = <T extends string | number>(values: readonly T[]) =>
  new Map<string, T>(values.map((value) => [String(value), value]));

const HEX_TEXT = /^(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/;

/**
 * Colours normalise to one spelling: lowercase, 3 digits expanded to 6, and a fully opaque
 * 8-digit colour (alpha ff) shortened to 6, since it paints the same pixels.
 */
export function normaliseHex(text: string): string | undefined {
  if (!HEX_TEXT.test(text)) return undefined;
  const lower = text.toLowerCase();
  if (lower.length === 3) return [...lower].map((digit) => digit + digit).join('');
  return lower.length === 8 && lower.endsWith('ff') ? lower.slice(0, 6) : lower;
}

const QUALITY_TEXT = /^(?:[1-9][0-9]?|100)$/;

/** `tint_`: an opaque colour (alpha has no meaning for a tint). */
const tintSpec: ValueSpec = {
  key: 'tint',
  expects: 'a hex colour of 3 or 6 digits (rgb, rrggbb)',
  jsonTypes: ['string'],
  parse: (text) => {
    const tint = text.length === 8 ? undefined : normaliseHex(text);
    return tint === undefined ? undefined : { tint };
  },
  read: (ops) => ops.tint,
};

const VALUE_SPEC_LIST: readonly ValueSpec[] = [
  widthSpec,
  numberSpec('h', 'height', 1, 16_384, false),
  numberSpec('dpr', 'dpr', 1, 4, true),
  choiceSpec('f', 'fit', identity(FITS), 'string'),
  choiceSpec('g', 'gravity', new Map([...identity(GRAVITIES), ['centre', 'center' as const]]), 'string'),
  {
    key: 'b',
    expects: 'a hex colour of 3, 6 or 8 digits (rgb, rrggbb, rrggbbaa)',
    jsonTypes: ['string'],
    parse: (text) => {
      const background = normaliseHex(text);
      return background === undefined ? undefined : { background };
    },
    read: (ops) => ops.background,
  },
  {
    key: 'q',
    expects: 'an integer from 1 to 100, or auto',
    jsonTypes: ['number', 'string'],
    parse: (text) => {
      if (text === 'auto') return { quality: 'auto' };
      return QUALITY_TEXT.test(text) ? { quality: Number(text) } : undefined;
    },
    read: (ops) => ops.quality,
  },
  choiceSpec(
    'fmt',
    'format',
    new Map([...identity(['jpeg', 'png', 'webp', 'avif', 'gif', 'auto'] as const), ['jpg', 'jpeg' as const]]),
    'string',
  ),
  choiceSpec('r', 'rotate', identity([0, 90, 180, 270] as const), 'number'),
  numberSpec('blur', 'blur', 0.3, 1000, true),
  numberSpec('sharpen', 'sharpen', 0.5, 10, true),
  // New keys go at the end: the canonical string follows this order, and appending keeps the
  // canonical strings (and so the variant keys) of existing URLs unchanged.
  rectSpec,
  focalSpec,
  aspectSpec,
  trimSpec,
  extendSpec,
  numberSpec('bri', 'brightness', 0, 10, true),
  numberSpec('con', 'contrast', 0, 10, true),
  numberSpec('sat', 'saturation', 0, 10, true),
  numberSpec('hue', 'hue', 0, 359, false),
  numberSpec('gam', 'gamma', 0.5, 3, true),
  tintSpec,
];

/** Keys that take a value, in canonical order (the order of the canonical string). */
export const VALUE_SPECS: ReadonlyMap<string, ValueSpec> = new Map(VALUE_SPEC_LIST.map((spec) => [spec.key, spec]));

type FlagField = 'grayscale' | 'flip' | 'flop' | 'upscale' | 'normalise' | 'progressive' | 'lossless' | 'palette' | 'clientHints';

/** Bare-word flags, in canonical order, with the ParsedOps field each sets. */
export const FLAG_FIELDS: ReadonlyMap<string, FlagField> = new Map([
  ['bw', 'grayscale'],
  ['flip', 'flip'],
  ['flop', 'flop'],
  ['up', 'upscale'],
  ['norm', 'normalise'],
  ['prog', 'progressive'],
  ['lossless', 'lossless'],
  ['png8', 'palette'],
  ['ch', 'clientHints'],
]);

/** `preset_{name}`: '-' separates tokens, so names are lowercase letters, digits and '_'. */
export const PRESET_KEY = 'preset';
export const PRESET_NAME = /^[a-z0-9_]{1,64}$/;

/** The lone word that asks for the stored original. */
export const ORIGINAL_TOKEN = 'original';
