/**
 * The canonical string of a resolved variant: fixed key order (the grammar table's order), every
 * value explicit, so equivalent URLs (`h_600-w_800` and `w_800-h_600`, `w_400-dpr_2` and
 * `w_800`, `q_auto` and the policy's number) name one variant. It is itself a valid op string
 * that re-plans to the same canonical. The output format is left out: variantKey adds it.
 */
import { FLAG_FIELDS, VALUE_SPECS } from './grammar.ts';
import type { ParsedOps, TransformOps } from './types.ts';

export const ORIGINAL_CANONICAL = 'original';

export function canonicalOps(ops: TransformOps): string {
  if (ops.original) return ORIGINAL_CANONICAL;
  // The format is deliberately absent; absent width/height/blur/sharpen mean "not applied".
  const asParsed: ParsedOps = {
    ...(ops.width === null ? {} : { width: ops.width }),
    ...(ops.height === null ? {} : { height: ops.height }),
    fit: ops.fit,
    gravity: ops.gravity,
    background: ops.background,
    quality: ops.quality,
    rotate: ops.rotate,
    ...(ops.blur === null ? {} : { blur: ops.blur }),
    ...(ops.sharpen === null ? {} : { sharpen: ops.sharpen }),
  };
  const tokens: string[] = [];
  for (const spec of VALUE_SPECS.values()) {
    const value = spec.read(asParsed);
    if (value !== undefined) tokens.push(`${spec.key}_${value}`);
  }
  for (const [key, field] of FLAG_FIELDS) {
    if (ops[field]) tokens.push(key);
  }
  return tokens.join('-');
}
