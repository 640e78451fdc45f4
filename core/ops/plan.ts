/**
 * `planVariant`: from what a URL asked for to the complete TransformOps the pipeline runs, plus
 * the canonical string that names the variant. Order: presets expand (left to right, explicit URL
 * ops win), the output format is chosen (fmt_, else the extension; fmt_auto negotiates), client
 * hints are read (`ch`), dpr and `ar_` are folded into width/height, `rect_` becomes pixels of the
 * original, policy limits are checked, every default is made explicit, and options without
 * effect are dropped so that they do not split one picture into several variants.
 */
import { negotiateFormat, negotiateFormats } from '../negotiate.ts';
import type { EffectivePolicy, OutputFormat } from '../policy.ts';
import { canonicalOps } from './canonical.ts';
import { hintsInEffect, SAVE_DATA_QUALITY_FACTOR, type ClientHints } from './client-hints.ts';
import { plannedBox, resolveBorders, resolveRect } from './geometry.ts';
import { invalidOps } from './grammar.ts';
import { parsedOpsFromJson } from './json.ts';
import type { ParsedOps, TransformOps } from './types.ts';

export interface VariantSource {
  format: string;
  hasAlpha: boolean;
  frames: number;
  /** Size as displayed (after EXIF orientation), as the catalog stores it: `rect_` is checked against it. */
  width: number;
  height: number;
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
  /** Client hint headers of the request; read only for URLs with `ch`. */
  hints?: ClientHints;
}

export interface VariantPlan {
  ops: TransformOps;
  canonical: string;
  /** True when fmt_auto chose the format from Accept (the response then needs `Vary: Accept`). */
  negotiated: boolean;
  /** Request headers this answer depends on (`Accept`, client hints), for `Vary`. */
  vary: readonly string[];
  /** The URL opted into client hints (`ch`): the response advertises them with `Accept-CH`. */
  clientHints: boolean;
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
  grayscale: false,
  flip: false,
  flop: false,
  upscale: false,
  normalise: false,
  progressive: false,
  lossless: false,
  palette: false,
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
  const lossless = wanted.lossless === true && LOSSLESS_FORMATS.has(format);
  const policyQuality = !lossless && QUALITY_FORMATS.has(format) && (wanted.quality === undefined || wanted.quality === 'auto');
  const hints = hintsInEffect(wanted, input.hints, policyQuality);
  const limits = { maxWidth: input.policy.max_width, maxHeight: input.policy.max_height };
  const box = plannedBox(wanted, hints, limits);
  const fit = wanted.fit ?? DEFAULTS.fit;
  // A focal point steers cover crops only, and replaces the gravity there.
  const focal = wanted.focal !== undefined && fit === 'cover' && box.width !== null && box.height !== null ? { ...wanted.focal } : null;
  const tint = wanted.tint ?? null;
  const ops: TransformOps = {
    original: input.parsed.original === true,
    width: box.width,
    height: box.height,
    fit,
    gravity: focal === null ? (wanted.gravity ?? DEFAULTS.gravity) : DEFAULTS.gravity,
    background: wanted.background ?? DEFAULTS.background,
    quality: lossless ? QUALITY_IGNORED : resolveQuality(wanted.quality, format, input.policy, hints.saveData),
    format,
    rotate: wanted.rotate ?? DEFAULTS.rotate,
    blur: wanted.blur ?? null,
    sharpen: wanted.sharpen ?? null,
    rect: resolveRect(wanted, input.source),
    focal,
    trim: wanted.trim ?? null,
    extend: resolveBorders(wanted, box, limits),
    brightness: unlessNeutral(wanted.brightness, 1),
    contrast: unlessNeutral(wanted.contrast, 1),
    saturation: unlessNeutral(wanted.saturation, 1),
    hue: unlessNeutral(wanted.hue, 0),
    gamma: unlessNeutral(wanted.gamma, 1),
    tint,
    // A tint keeps only the lightness of the picture, so greyscale first would change nothing.
    grayscale: wanted.grayscale === true && tint === null,
    flip: wanted.flip === true,
    flop: wanted.flop === true,
    upscale: wanted.upscale === true,
    normalise: wanted.normalise === true,
    progressive: format === 'jpeg' ? wanted.progressive === true || input.policy.jpeg_progressive : format === 'png' && wanted.progressive === true,
    lossless,
    palette: format === 'png' && wanted.palette === true,
  };
  const vary = negotiated ? ['Accept', ...hints.consulted] : hints.consulted;
  return { ops, canonical: canonicalOps(ops), negotiated, vary, clientHints: wanted.clientHints === true };
}

/**
 * The same URL planned in the next format the client takes, for a negotiated plan whose variant
 * is not rendered yet and too slow to render while the client waits (AVIF): what the first
 * responses carry meanwhile. Undefined when the format was not negotiated or nothing else fits.
 */
export function planStandIn(input: VariantPlanInput, plan: VariantPlan): VariantPlan | undefined {
  if (!plan.negotiated) return undefined;
  const next = negotiateFormats(input.accept, input.policy.allowed_formats, input.source).find((format) => format !== plan.ops.format);
  if (next === undefined) return undefined;
  // An explicit format in place of `fmt_auto` (wherever it came from: the URL or a preset).
  const standIn = planVariant({ ...input, parsed: { ...input.parsed, format: next } });
  // Still an answer chosen from Accept: caches must keep it apart from the one it stands in for.
  return { ...standIn, negotiated: true, vary: plan.vary };
}

const LOSSLESS_FORMATS: ReadonlySet<OutputFormat> = new Set(['webp', 'avif']);
const QUALITY_FORMATS: ReadonlySet<OutputFormat> = new Set(['jpeg', 'webp', 'avif']);

/** An adjustment at its neutral value is no adjustment (`bri_1` is the same variant as none). */
function unlessNeutral(value: number | undefined, neutral: number): number | null {
  return value === undefined || value === neutral ? null : value;
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

/** An explicit `q_` wins; `q_auto` (or none) is the policy's, lowered when Save-Data asks. */
function resolveQuality(quality: ParsedOps['quality'], format: OutputFormat, policy: EffectivePolicy, saveData: boolean): number {
  const policyQuality: Partial<Record<OutputFormat, number>> = {
    jpeg: policy.quality_jpeg,
    webp: policy.quality_webp,
    avif: policy.quality_avif,
  };
  const byPolicy = policyQuality[format];
  if (byPolicy === undefined) return QUALITY_IGNORED;
  if (quality !== undefined && quality !== 'auto') return quality;
  return saveData ? Math.max(1, Math.round(byPolicy * SAVE_DATA_QUALITY_FACTOR)) : byPolicy;
}
