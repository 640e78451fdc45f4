/**
 * `planVariant`: from what a URL asked for to the complete TransformOps the pipeline runs, plus
 * the canonical string that names the variant. Order: presets expand (left to right, explicit URL
 * ops win), the output format is chosen (fmt_, else the extension; fmt_auto negotiates), dpr is
 * folded into width/height, policy limits are checked, and every default is made explicit.
 */
import { negotiateFormat } from '../negotiate.ts';
import type { EffectivePolicy, OutputFormat } from '../policy.ts';
import { canonicalOps } from './canonical.ts';
import { invalidOps } from './grammar.ts';
import { parsedOpsFromJson } from './json.ts';
import type { ParsedOps, TransformOps } from './types.ts';

export interface VariantSource {
  format: string;
  hasAlpha: boolean;
  frames: number;
}

export interface VariantPlanInput {
  parsed: ParsedOps;
  /** Preset name to stored JSON operations, already resolved nearest-scope-first by SQL. */
  presets: Readonly<Record<string, unknown>>;
  /** The URL's extension without the dot: jpg, jpeg, png, webp, avif or gif. */
  extension: string;
  accept: string | undefined;
  policy: EffectivePolicy;
  source: VariantSource;
}

export interface VariantPlan {
  ops: TransformOps;
  canonical: string;
  /** True when fmt_auto chose the format from Accept (the response then needs `Vary: Accept`). */
  negotiated: boolean;
}

/**
 * PNG and GIF ignore quality; one constant makes `q_50.png` and `q_80.png` the same variant
 * instead of two identical files under two keys.
 */
export const QUALITY_IGNORED = 100;

/**
 * Every operation at its default: no resize, no effects. Quality and format are not here: they
 * depend on the output format and the policy.
 */
export const NEUTRAL_OPS = Object.freeze({
  original: false,
  width: null,
  height: null,
  fit: 'cover',
  gravity: 'center',
  background: 'ffffff',
  rotate: 0,
  blur: null,
  sharpen: null,
  grayscale: false,
  flip: false,
  flop: false,
  upscale: false,
} as const satisfies Omit<TransformOps, 'quality' | 'format'>);
const DEFAULTS = NEUTRAL_OPS;

const EXTENSION_FORMATS: ReadonlyMap<string, OutputFormat> = new Map([
  ['jpg', 'jpeg'],
  ['jpeg', 'jpeg'],
  ['png', 'png'],
  ['webp', 'webp'],
  ['avif', 'avif'],
  ['gif', 'gif'],
]);

export function planVariant(input: VariantPlanInput): VariantPlan {
  const extensionFormat = EXTENSION_FORMATS.get(input.extension);
  if (extensionFormat === undefined) {
    throw invalidOps(`unsupported extension ".${input.extension}" (use jpg, jpeg, png, webp, avif or gif)`, {
      token: `.${input.extension}`,
    });
  }
  const wanted = input.parsed.original ? {} : expandPresets(input.parsed, input.presets);
  const { format, negotiated, token } = chooseFormat(wanted.format, extensionFormat, input);
  if (!input.policy.allowed_formats.includes(format)) {
    throw invalidOps(`format ${format} is not allowed here (allowed: ${input.policy.allowed_formats.join(', ')})`, {
      token,
    });
  }
  const ops: TransformOps = {
    original: input.parsed.original === true,
    width: scaledDimension(wanted.width, wanted.dpr, input.policy.max_width, 'w'),
    height: scaledDimension(wanted.height, wanted.dpr, input.policy.max_height, 'h'),
    fit: wanted.fit ?? DEFAULTS.fit,
    gravity: wanted.gravity ?? DEFAULTS.gravity,
    background: wanted.background ?? DEFAULTS.background,
    quality: resolveQuality(wanted.quality, format, input.policy),
    format,
    rotate: wanted.rotate ?? DEFAULTS.rotate,
    blur: wanted.blur ?? null,
    sharpen: wanted.sharpen ?? null,
    grayscale: wanted.grayscale === true,
    flip: wanted.flip === true,
    flop: wanted.flop === true,
    upscale: wanted.upscale === true,
  };
  return { ops, canonical: canonicalOps(ops), negotiated };
}

/** Presets apply left to right, each over the previous; the URL's own ops override them all. */
function expandPresets(parsed: ParsedOps, presets: Readonly<Record<string, unknown>>): ParsedOps {
  const { presets: names = [], ...explicit } = parsed;
  const merged: ParsedOps = {};
  for (const name of names) {
    const token = `preset_${name}`;
    if (!Object.hasOwn(presets, name)) throw invalidOps(`unknown preset "${name}"`, { token });
    Object.assign(merged, presetOps(presets[name], token));
  }
  // Only keys the URL actually set override: a hand-built ParsedOps may carry `width: undefined`.
  const overrides = Object.entries(explicit).filter(([, value]) => value !== undefined);
  return Object.assign(merged, Object.fromEntries(overrides));
}

/**
 * Stored presets were validated when written; one that no longer parses (edited by hand, or the
 * grammar tightened) is reported as a 400 naming the preset token rather than a server error.
 */
function presetOps(json: unknown, token: string): ParsedOps {
  try {
    return parsedOpsFromJson(json);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'invalid operations';
    throw invalidOps(`preset in "${token}" is invalid: ${reason}`, { token });
  }
}

function chooseFormat(
  requested: ParsedOps['format'],
  extensionFormat: OutputFormat,
  input: VariantPlanInput,
): { format: OutputFormat; negotiated: boolean; token: string } {
  if (requested === 'auto') {
    const format = negotiateFormat(input.accept, input.policy.allowed_formats, input.source);
    return { format, negotiated: true, token: 'fmt_auto' };
  }
  if (requested !== undefined) return { format: requested, negotiated: false, token: `fmt_${requested}` };
  return { format: extensionFormat, negotiated: false, token: `.${input.extension}` };
}

/**
 * dpr multiplies the requested size and is then dropped. Rounded to nearest (not ceil) so float
 * noise such as 100 * 1.15 = 114.99999999999999 cannot tip a size by a pixel. dpr alone, without a
 * width or height, has nothing to scale and no effect.
 */
function scaledDimension(size: number | undefined, dpr: number | undefined, max: number, key: 'w' | 'h'): number | null {
  if (size === undefined) return null;
  const scaled = Math.round(size * (dpr ?? 1));
  if (scaled > max) {
    const via = dpr === undefined ? '' : ` at dpr ${dpr} (${scaled} px)`;
    throw invalidOps(`"${key}_${size}"${via} is over this space's maximum of ${max} px`, { token: `${key}_${size}` });
  }
  return scaled;
}

function resolveQuality(quality: ParsedOps['quality'], format: OutputFormat, policy: EffectivePolicy): number {
  const policyQuality: Partial<Record<OutputFormat, number>> = {
    jpeg: policy.quality_jpeg,
    webp: policy.quality_webp,
    avif: policy.quality_avif,
  };
  const byPolicy = policyQuality[format];
  if (byPolicy === undefined) return QUALITY_IGNORED;
  return quality === undefined || quality === 'auto' ? byPolicy : quality;
}
