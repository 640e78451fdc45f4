/**
 * `srcset` and `sizes` for responsive images. Width candidates (`400w`) let the browser pick by
 * layout size and screen density; density candidates (`1.5x`) keep one CSS width and use the
 * grammar's `dpr_` so each candidate is its own canonical variant.
 */
import { imageUrl, type ImageExtension, type ImageOps, type ImageRef } from './url.ts';

export interface SrcsetOptions {
  /** Operations every candidate shares (fit, format, quality, presets ...). */
  ops?: ImageOps;
  extension?: ImageExtension;
}

function ascendingUnique(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/** `url 400w, url 800w, ...`: one candidate per width (each ops.width replaced), narrowest first. */
export function widthSrcset(ref: ImageRef, widths: readonly number[], options: SrcsetOptions = {}): string {
  if (widths.length === 0) throw new RangeError('widthSrcset needs at least one width');
  return ascendingUnique(widths)
    .map((width) => `${imageUrl(ref, { ...options.ops, width }, options.extension)} ${width}w`)
    .join(', ');
}

/**
 * `url 1x, url 1.5x, url 2x`: the same CSS size at several device pixel ratios. Density 1 is
 * written without `dpr_` (one URL per variant, one CDN entry).
 */
export function densitySrcset(ref: ImageRef, densities: readonly number[], options: SrcsetOptions = {}): string {
  if (densities.length === 0) throw new RangeError('densitySrcset needs at least one density');
  const { dpr: _ignored, ...ops } = options.ops ?? {};
  return ascendingUnique(densities)
    .map((dpr) => `${imageUrl(ref, dpr === 1 ? ops : { ...ops, dpr }, options.extension)} ${dpr}x`)
    .join(', ');
}

/** A `sizes` entry: a media condition and the slot width it gives the image. */
export type SizeRule = { media: string; size: string };

/**
 * The `sizes` attribute: conditional rules in order, then the default slot width
 * (`sizes([{ media: '(max-width: 600px)', size: '100vw' }], '50vw')`).
 */
export function sizes(rules: readonly SizeRule[], fallback: string): string {
  return [...rules.map((rule) => `${rule.media} ${rule.size}`), fallback].join(', ');
}
