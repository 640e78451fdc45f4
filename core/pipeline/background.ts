/**
 * The `b_` colour as sharp wants it. TransformOps always carries one (the ops module makes the
 * default explicit), as 6 (opaque) or 8 (with alpha) lowercase hex digits.
 */
import { NEUTRAL_OPS } from '../ops/plan.ts';
import type { OutputFormat } from '../policy.ts';

/** The ops module's default `b_`: a `contain` letterbox with this colour may become transparent. */
export const DEFAULT_BACKGROUND: string = NEUTRAL_OPS.background;

/** Output formats that store an alpha channel. */
export const FORMATS_WITH_ALPHA: ReadonlySet<OutputFormat> = new Set(['png', 'webp', 'avif', 'gif']);

export interface Rgba {
  r: number;
  g: number;
  b: number;
  alpha: number;
}

export const TRANSPARENT: Readonly<Rgba> = Object.freeze({ r: 0, g: 0, b: 0, alpha: 0 });

export function parseBackground(hex: string): Rgba {
  if (!/^(?:[0-9a-f]{6}|[0-9a-f]{8})$/.test(hex)) {
    // Reaching this is a bug upstream (ops validation), not a client mistake.
    throw new Error(`background must be 6 or 8 lowercase hex digits, got "${hex}"`);
  }
  const channel = (index: number) => Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  return { r: channel(0), g: channel(1), b: channel(2), alpha: hex.length === 8 ? channel(3) / 255 : 1 };
}
