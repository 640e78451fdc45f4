/**
 * The vocabulary of the ops grammar: every key a URL token or a preset may use, how its value is
 * read from text, and how it is written back. URL parsing (parse.ts), preset JSON (json.ts) and
 * the canonical string (canonical.ts) all read this one table, so a key cannot be accepted in one
 * place and unknown in another.
 *
 * Numbers are strict on purpose: no leading zeros, no signs, no exponents, at most two decimals.
 * Canonicalization would absorb `w_0800`, but every extra spelling is one more URL a client can use
 * to miss the CDN cache, and two decimals are plenty for dpr, blur and sharpen.
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
  /** This key's value in `ops` (canonical text form), or undefined when `ops` does not set it. */
  readonly read: (ops: ParsedOps) => string | number | undefined;
}

type NumericField = 'width' | 'height' | 'dpr' | 'blur' | 'sharpen';

const INTEGER_TEXT = /^(?:0|[1-9][0-9]{0,5})$/;
const DECIMAL_TEXT = /^(?:0|[1-9][0-9]{0,5})(?:\.[0-9]{1,2})?$/;

function numberSpec(key: string, field: NumericField, min: number, max: number, decimals: boolean): ValueSpec {
  const pattern = decimals ? DECIMAL_TEXT : INTEGER_TEXT;
  return {
    key,
    expects: `${decimals ? 'a number' : 'an integer'} from ${min} to ${max}`,
    jsonTypes: ['number'],
    parse: (text) => {
      if (!pattern.test(text)) return undefined;
      const value = Number(text);
      return value >= min && value <= max ? { [field]: value } : undefined;
    },
    read: (ops) => ops[field],
  };
}

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
function normaliseHex(text: string): string | undefined {
  if (!HEX_TEXT.test(text)) return undefined;
  const lower = text.toLowerCase();
  if (lower.length === 3) return [...lower].map((digit) => digit + digit).join('');
  return lower.length === 8 && lower.endsWith('ff') ? lower.slice(0, 6) : lower;
}

const QUALITY_TEXT = /^(?:[1-9][0-9]?|100)$/;

const VALUE_SPEC_LIST: readonly ValueSpec[] = [
  numberSpec('w', 'width', 1, 16_384, false),
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
];

/** Keys that take a value, in canonical order (the order of the canonical string). */
export const VALUE_SPECS: ReadonlyMap<string, ValueSpec> = new Map(VALUE_SPEC_LIST.map((spec) => [spec.key, spec]));

type FlagField = 'grayscale' | 'flip' | 'flop' | 'upscale';

/** Bare-word flags, in canonical order, with the ParsedOps field each sets. */
export const FLAG_FIELDS: ReadonlyMap<string, FlagField> = new Map([
  ['bw', 'grayscale'],
  ['flip', 'flip'],
  ['flop', 'flop'],
  ['up', 'upscale'],
]);

/** `preset_{name}`: '-' separates tokens, so names are lowercase letters, digits and '_'. */
export const PRESET_KEY = 'preset';
export const PRESET_NAME = /^[a-z0-9_]{1,64}$/;

/** The lone word that asks for the stored original. */
export const ORIGINAL_TOKEN = 'original';
