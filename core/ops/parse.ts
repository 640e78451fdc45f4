/**
 * `parseOps`: the `{ops}` URL segment (without its extension) to ParsedOps. Total by design: any
 * string either parses or throws ImgplaneError('invalid_ops') naming the offending token. Input
 * size is capped before any work, and every pattern is anchored and linear, so hostile URLs cost
 * microseconds.
 */
import { FLAG_FIELDS, invalidOps, ORIGINAL_TOKEN, PRESET_KEY, PRESET_NAME, VALUE_SPECS } from './grammar.ts';
import type { ParsedOps } from './types.ts';

/** Longest `{ops}` segment accepted; real op strings are well under 100 characters. */
export const MAX_OPS_LENGTH = 512;
/** Most tokens in one segment (every one of the 22 keys and 9 flags fits, with a few presets). */
export const MAX_OPS_TOKENS = 36;

const TOKEN_PREVIEW_LENGTH = 64;

export function parseOps(raw: string): ParsedOps {
  if (raw.length > MAX_OPS_LENGTH) {
    throw invalidOps(`operations are longer than ${MAX_OPS_LENGTH} characters`, {
      token: raw.slice(0, TOKEN_PREVIEW_LENGTH),
    });
  }
  const tokens = raw.split('-');
  if (tokens.length > MAX_OPS_TOKENS) {
    throw invalidOps(`more than ${MAX_OPS_TOKENS} operations`, { token: raw.slice(0, TOKEN_PREVIEW_LENGTH) });
  }
  if (tokens.includes(ORIGINAL_TOKEN)) {
    if (tokens.length > 1) {
      throw invalidOps('"original" cannot be combined with other operations', { token: ORIGINAL_TOKEN });
    }
    return { original: true };
  }

  const ops: ParsedOps = {};
  const seenKeys = new Set<string>();
  const presets: string[] = [];
  for (const token of tokens) {
    const key = applyToken(ops, presets, token);
    if (seenKeys.has(key)) throw invalidOps(`"${token}" repeats an operation already given`, { token });
    seenKeys.add(key);
  }
  if (presets.length > 0) ops.presets = presets;
  return ops;
}

/** Applies one token to `ops` and returns the key that must not repeat (`preset_x` per name). */
function applyToken(ops: ParsedOps, presets: string[], token: string): string {
  if (token === '') throw invalidOps('empty operation (two "-" in a row, or one at either end)', { token });

  const flagField = FLAG_FIELDS.get(token);
  if (flagField !== undefined) {
    ops[flagField] = true;
    return token;
  }

  const separator = token.indexOf('_');
  const key = separator < 0 ? token : token.slice(0, separator);
  if (separator < 0) {
    const bare = VALUE_SPECS.get(key)?.bare;
    if (bare !== undefined) {
      Object.assign(ops, bare);
      return key;
    }
    const known = VALUE_SPECS.has(key) || key === PRESET_KEY;
    throw invalidOps(known ? `"${token}" needs a value (${key}_...)` : `unknown operation "${token}"`, { token });
  }
  const text = token.slice(separator + 1);

  if (FLAG_FIELDS.has(key)) throw invalidOps(`"${key}" takes no value`, { token });
  if (key === PRESET_KEY) {
    if (!PRESET_NAME.test(text)) {
      throw invalidOps(`"${token}": preset names are 1 to 64 of a-z, 0-9 and _`, { token });
    }
    presets.push(text);
    return token;
  }

  const spec = VALUE_SPECS.get(key);
  if (spec === undefined) throw invalidOps(`unknown operation "${token}"`, { token });
  const fields = spec.parse(text);
  if (fields === undefined) throw invalidOps(`"${token}": ${key} must be ${spec.expects}`, { token });
  Object.assign(ops, fields);
  return key;
}
