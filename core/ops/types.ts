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

/** What a URL or a preset asked for, before defaults: only the keys it named. */
export interface ParsedOps {
  original?: true;
  width?: number;
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
  grayscale?: true;
  flip?: true;
  flop?: true;
  /** Allow output larger than the source (off by default). */
  upscale?: true;
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
  grayscale: boolean;
  /** Mirror top-to-bottom (sharp/ImageMagick meaning). */
  flip: boolean;
  /** Mirror left-to-right (sharp/ImageMagick meaning). */
  flop: boolean;
  upscale: boolean;
}
