/**
 * The canonical string of a resolved variant: fixed key order (the grammar table's order), every
 * value explicit, so equivalent URLs (`h_600-w_800` and `w_800-h_600`, `w_400-dpr_2` and
 * `w_800`, `q_auto` and the policy's number) name one variant. It is itself a valid op string
 * that re-plans to the same canonical. The output format is left out: variantKey adds it.
 *
 * `formatOps` is the other direction of parseOps for what a URL asked for (presets first, then
 * the grammar table's order); the URL builder (packages/url) writes URLs with it, so the server
 * and its clients share one grammar.
 */
import { FLAG_FIELDS, PRESET_KEY, VALUE_SPECS } from './grammar.ts';
import type { ParsedOps, TransformOps } from './types.ts';

export const ORIGINAL_CANONICAL = 'original';

export function formatOps(ops: ParsedOps): string {
  if (ops.original) return ORIGINAL_CANONICAL;
  const tokens = (ops.presets ?? []).map((name) => `${PRESET_KEY}_${name}`);
  for (const spec of VALUE_SPECS.values()) {
    const value = spec.read(ops);
    if (value !== undefined) tokens.push(`${spec.key}_${value}`);
  }
  for (const [key, field] of FLAG_FIELDS) {
    if (ops[field]) tokens.push(key);
  }
  return tokens.join('-');
}

export function canonicalOps(ops: TransformOps): string {
  if (ops.original) return ORIGINAL_CANONICAL;
  // The format is deliberately absent; absent width/height/blur/sharpen/... mean "not applied".
  const rect = ops.rect === null ? {} : { rect: { unit: 'px' as const, x: ops.rect.left, y: ops.rect.top, width: ops.rect.width, height: ops.rect.height } };
  return formatOps({
    ...(ops.width === null ? {} : { width: ops.width }),
    ...(ops.height === null ? {} : { height: ops.height }),
    fit: ops.fit,
    gravity: ops.gravity,
    background: ops.background,
    quality: ops.quality,
    rotate: ops.rotate,
    ...(ops.blur === null ? {} : { blur: ops.blur }),
    ...(ops.sharpen === null ? {} : { sharpen: ops.sharpen }),
    ...rect,
    ...(ops.focal === null ? {} : { focal: ops.focal }),
    ...(ops.trim === null ? {} : { trim: ops.trim }),
    ...(ops.extend === null ? {} : { extend: ops.extend }),
    ...(ops.brightness === null ? {} : { brightness: ops.brightness }),
    ...(ops.contrast === null ? {} : { contrast: ops.contrast }),
    ...(ops.saturation === null ? {} : { saturation: ops.saturation }),
    ...(ops.hue === null ? {} : { hue: ops.hue }),
    ...(ops.gamma === null ? {} : { gamma: ops.gamma }),
    ...(ops.tint === null ? {} : { tint: ops.tint }),
    ...(ops.grayscale ? { grayscale: true } : {}),
    ...(ops.flip ? { flip: true } : {}),
    ...(ops.flop ? { flop: true } : {}),
    ...(ops.upscale ? { upscale: true } : {}),
    ...(ops.normalise ? { normalise: true } : {}),
    ...(ops.progressive ? { progressive: true } : {}),
    ...(ops.lossless ? { lossless: true } : {}),
    ...(ops.palette ? { palette: true } : {}),
  });
}
