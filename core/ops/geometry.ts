/**
 * Planning the geometry of a variant: the output box (`w_`, `h_`, dpr from the URL or the
 * `Sec-CH-DPR` hint, `w_auto`, `ar_`), the crop rectangle in pixels of the original (`rect_`), and
 * the borders (`ext_`). Everything a URL can get wrong about sizes is a 400 here, before any I/O.
 */
import { invalidOps, VALUE_SPECS } from './grammar.ts';
import type { HintsInEffect } from './client-hints.ts';
import type { Borders, ParsedOps, PixelRect, RectOps } from './types.ts';

export interface Box {
  width: number | null;
  height: number | null;
}

export interface SizeLimits {
  maxWidth: number;
  maxHeight: number;
}

/** The URL token of a parsed value, as the grammar writes it (`rect_10,20,30,40`). */
function tokenOf(key: string, ops: ParsedOps): string {
  return `${key}_${VALUE_SPECS.get(key)?.read(ops) ?? ''}`;
}

/**
 * The output box. dpr multiplies `w_`/`h_` and is then dropped, rounded to nearest (not ceil) so
 * float noise such as 100 * 1.15 = 114.99999999999999 cannot tip a size by a pixel. A dpr from
 * the hint is lowered as far as needed to keep the box within the limits: the URL itself was
 * valid, and the same URL must not fail on one device and work on another. `w_auto` is already
 * in device pixels (Sec-CH-Width is), so no dpr applies to it; above the limit it is clamped.
 */
export function plannedBox(wanted: ParsedOps, hints: HintsInEffect, limits: SizeLimits): Box {
  const urlWidth = typeof wanted.width === 'number' ? wanted.width : undefined;
  let dpr = wanted.dpr;
  if (dpr === undefined && hints.dpr !== undefined) {
    // The URL's own sizes are checked at 1x first, so the bound below is never under 1.
    checkSize(urlWidth, 1, limits.maxWidth, 'w');
    checkSize(wanted.height, 1, limits.maxHeight, 'h');
    dpr = Math.min(hints.dpr, limits.maxWidth / (urlWidth ?? 1), limits.maxHeight / (wanted.height ?? 1));
  }
  const width = wanted.width === 'auto'
    ? (hints.width === undefined ? null : Math.min(hints.width, limits.maxWidth))
    : checkSize(urlWidth, dpr, limits.maxWidth, 'w');
  const height = checkSize(wanted.height, dpr, limits.maxHeight, 'h');
  return wanted.aspect === undefined ? { width, height } : withAspect(wanted, { width, height }, limits);
}

function checkSize(size: number | undefined, dpr: number | undefined, max: number, key: 'w' | 'h'): number | null {
  if (size === undefined) return null;
  const scaled = Math.round(size * (dpr ?? 1));
  if (scaled > max) {
    const via = dpr === undefined || dpr === 1 ? '' : ` at dpr ${dpr} (${scaled} px)`;
    throw invalidOps(`"${key}_${size}"${via} is over this space's maximum of ${max} px`, { token: `${key}_${size}` });
  }
  return scaled;
}

/**
 * `ar_` completes a box given by one side. With both sides or neither it has nothing to decide:
 * a 400, since the URL says two different things (or nothing). `w_auto` without its hint leaves
 * the box open, and the ratio then has nothing to apply to.
 */
function withAspect(wanted: ParsedOps, box: Box, limits: SizeLimits): Box {
  const aspect = wanted.aspect!;
  const token = tokenOf('ar', wanted);
  if ((wanted.width === undefined) === (wanted.height === undefined)) {
    throw invalidOps(`"${token}" needs exactly one of w_ and h_ (the other follows the ratio)`, { token });
  }
  if (box.width !== null) {
    const height = Math.max(1, Math.round((box.width * aspect.height) / aspect.width));
    if (height > limits.maxHeight) throw overLimit(token, `a height of ${height} px`, limits.maxHeight);
    return { width: box.width, height };
  }
  if (box.height !== null) {
    const width = Math.max(1, Math.round((box.height * aspect.width) / aspect.height));
    if (width > limits.maxWidth) throw overLimit(token, `a width of ${width} px`, limits.maxWidth);
    return { width, height: box.height };
  }
  return box;
}

function overLimit(token: string, what: string, max: number) {
  return invalidOps(`"${token}" makes ${what}, over this space's maximum of ${max} px`, { token });
}

/**
 * `rect_` in pixels of the auto-oriented original (`size`), or null when it is the whole image (so
 * `rect_0,0,{w},{h}` is the same variant as no rect). Fractions round to the nearest pixel and
 * never give less than one pixel; a pixel rectangle reaching outside the image is a 400.
 */
export function resolveRect(wanted: ParsedOps, size: { width: number; height: number }): PixelRect | null {
  const rect: RectOps | undefined = wanted.rect;
  if (rect === undefined) return null;
  const resolved = rect.unit === 'px' ? pixelRect(rect, size, tokenOf('rect', wanted)) : fractionRect(rect, size);
  const whole = resolved.left === 0 && resolved.top === 0 && resolved.width === size.width && resolved.height === size.height;
  return whole ? null : resolved;
}

function pixelRect(rect: RectOps, size: { width: number; height: number }, token: string): PixelRect {
  if (rect.x + rect.width > size.width || rect.y + rect.height > size.height) {
    throw invalidOps(
      `"${token}" reaches outside the image, which is ${size.width}x${size.height} pixels (x + width must be at most ${size.width}, y + height at most ${size.height})`,
      { token },
    );
  }
  return { left: rect.x, top: rect.y, width: rect.width, height: rect.height };
}

function fractionRect(rect: RectOps, size: { width: number; height: number }): PixelRect {
  const axis = (start: number, length: number, total: number) => {
    const from = Math.min(Math.round(start * total), total - 1);
    const to = Math.min(Math.round((start + length) * total), total);
    return [from, Math.max(1, to - from)] as const;
  };
  const [left, width] = axis(rect.x, rect.width, size.width);
  const [top, height] = axis(rect.y, rect.height, size.height);
  return { left, top, width, height };
}

/**
 * `ext_` borders, or null when all four are 0. When the output size is known here, the borders
 * must keep it within the limits.
 */
export function resolveBorders(wanted: ParsedOps, box: Box, limits: SizeLimits): Borders | null {
  const borders = wanted.extend;
  if (borders === undefined) return null;
  if (borders.top + borders.right + borders.bottom + borders.left === 0) return null;
  const token = tokenOf('ext', wanted);
  if (box.width !== null && box.width + borders.left + borders.right > limits.maxWidth) {
    throw overLimit(token, `a width of ${box.width + borders.left + borders.right} px`, limits.maxWidth);
  }
  if (box.height !== null && box.height + borders.top + borders.bottom > limits.maxHeight) {
    throw overLimit(token, `a height of ${box.height + borders.top + borders.bottom} px`, limits.maxHeight);
  }
  return { ...borders };
}
