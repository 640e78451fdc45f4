/**
 * Shapes of the URL operations grammar (`w_800-h_600-f_cover-q_85`). Parsing, preset expansion,
 * defaults, policy checks and canonicalization live in core/ops; the pipeline consumes
 * `TransformOps`, which is always complete (every default explicit, dpr folded into w/h,
 * quality and format resolved).
 */
import type { OutputFormat } from '../policy.ts';

export const FITS = ['cover', 'contain', 'fill', 'inside', 'outside', 'pad'] as const;
export type Fit = (typeof FITS)[number];

export const GRAVITIES = [
  'center', 'north', 'northeast', 'east', 'southeast', 'south', 'southwest', 'west', 'northwest',
  'attention', 'entropy',
] as const;
export type Gravity = (typeof GRAVITIES)[number];

export type Rotation = 0 | 90 | 180 | 270;

/**
 * `rect_`: a rectangle of the auto-oriented original. `fraction` rectangles (written with a decimal
 * point) become pixels in planning, once the original's size is known.
 */
export interface RectOps {
  unit: 'px' | 'fraction';
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A rectangle in pixels of the auto-oriented original. */
export interface PixelRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** `fp_`: a point as fractions (0-1) of the auto-oriented original's width and height. */
export interface FocalPoint {
  x: number;
  y: number;
}

/** `ext_`: border widths in pixels, added after resizing. */
export interface Borders {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/** `ar_{w}:{h}`. */
export interface AspectRatio {
  width: number;
  height: number;
}

/** What a URL or a preset asked for, before defaults: only the keys it named. */
export interface ParsedOps {
  original?: true;
  /** `w_auto`: the width comes from the `Sec-CH-Width` client hint (needs `ch`). */
  width?: number | 'auto';
  height?: number;
  dpr?: number;
  fit?: Fit;
  gravity?: Gravity;
  /** Lowercase hex, 6 (rgb) or 8 (rgba) digits, no '#'. */
  background?: string;
  quality?: number | 'auto';
  format?: OutputFormat | 'auto';
  rotate?: Rotation;
  blur?: number;
  sharpen?: number;
  rect?: RectOps;
  focal?: FocalPoint;
  aspect?: AspectRatio;
  /** `trim` / `trim_{threshold}`: the threshold (difference from the background colour). */
  trim?: number;
  extend?: Borders;
  /** Multipliers, 1 = unchanged. */
  brightness?: number;
  contrast?: number;
  saturation?: number;
  /** Degrees, 1-359. */
  hue?: number;
  /** Midtone gamma: output = input^(1/gamma); above 1 brightens. */
  gamma?: number;
  /** Lowercase 6-digit hex. */
  tint?: string;
  grayscale?: true;
  flip?: true;
  flop?: true;
  /** Allow output larger than the source (off by default). */
  upscale?: true;
  normalise?: true;
  progressive?: true;
  lossless?: true;
  palette?: true;
  /** `ch`: read the client hints Sec-CH-DPR, Sec-CH-Width and Save-Data. */
  clientHints?: true;
  /** Preset names in the order they appeared (`preset_thumb`). */
  presets?: string[];
}

/** Fully resolved operations for one variant: the pipeline's input. */
export interface TransformOps {
  /** `original`: deliver the stored bytes untouched (format conversion still applies if asked). */
  original: boolean;
  width: number | null;
  height: number | null;
  fit: Fit;
  gravity: Gravity;
  background: string;
  quality: number;
  format: OutputFormat;
  rotate: Rotation;
  blur: number | null;
  sharpen: number | null;
  /** Crop of the auto-oriented original before anything else, in its pixels. */
  rect: PixelRect | null;
  /** Only set when a `cover` crop uses it. */
  focal: FocalPoint | null;
  trim: number | null;
  /** Only set when at least one border is wider than 0. */
  extend: Borders | null;
  brightness: number | null;
  contrast: number | null;
  saturation: number | null;
  hue: number | null;
  gamma: number | null;
  tint: string | null;
  grayscale: boolean;
  /** Mirror top-to-bottom (sharp/ImageMagick meaning). */
  flip: boolean;
  /** Mirror left-to-right (sharp/ImageMagick meaning). */
  flop: boolean;
  upscale: boolean;
  normalise: boolean;
  /** Progressive JPEG, interlaced PNG; false for every other format. */
  progressive: boolean;
  /** Lossless WebP or AVIF; false for every other format. */
  lossless: boolean;
  /** Palette PNG (libimagequant); false for every other format. */
  palette: boolean;
}
