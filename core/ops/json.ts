/**
 * Presets are stored as JSONB objects keyed by the URL keys: {"w":200,"h":200,"f":"cover","bw":true}.
 * Values go through the same parsers as URL text, so a preset can hold exactly what a URL can.
 * Presets cannot name other presets (no nesting: one lookup per URL, no cycles to detect) and
 * cannot be `original`. A flag set to false is the same as leaving it out.
 */
import { FLAG_FIELDS, invalidOps, VALUE_SPECS } from './grammar.ts';
import type { OpJsonValue } from './grammar.ts';
import type { ParsedOps } from './types.ts';

/** A preset as stored: URL keys to scalars. */
export type PresetJson = Record<string, OpJsonValue>;

/** What a preset may set: everything a URL may, except other presets and `original`. */
export type PresetOps = Omit<ParsedOps, 'original' | 'presets'>;

export function parsedOpsFromJson(value: unknown): ParsedOps {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidOps('preset operations must be a JSON object keyed by URL keys (w, h, f, ...)', { key: '' });
  }
  const ops: ParsedOps = {};
  for (const [key, field] of Object.entries(value)) {
    Object.assign(ops, parseJsonEntry(key, field));
  }
  return ops;
}

function parseJsonEntry(key: string, value: unknown): Partial<ParsedOps> {
  const flagField = FLAG_FIELDS.get(key);
  if (flagField !== undefined) {
    if (typeof value !== 'boolean') throw invalidOps(`preset key "${key}" must be true or false`, { key });
    return value ? { [flagField]: true } : {};
  }
  const spec = VALUE_SPECS.get(key);
  if (spec === undefined) {
    throw invalidOps(`unknown preset key "${key}" (presets use URL keys such as w, h, f, fmt, bw)`, { key });
  }
  // A key that means something alone (`trim`) may be `true` in JSON, like a flag.
  if (spec.bare !== undefined && typeof value === 'boolean') return value ? spec.bare : {};
  const isNumber = typeof value === 'number' && Number.isFinite(value);
  const jsonTypeOk = (isNumber && spec.jsonTypes.includes('number')) ||
    (typeof value === 'string' && spec.jsonTypes.includes('string'));
  const fields = jsonTypeOk ? spec.parse(String(value)) : undefined;
  if (fields === undefined) throw invalidOps(`preset key "${key}" must be ${spec.expects}`, { key });
  return fields;
}

export function parsedOpsToJson(ops: PresetOps): PresetJson {
  const json: PresetJson = {};
  for (const spec of VALUE_SPECS.values()) {
    const value = spec.read(ops);
    if (value !== undefined) json[spec.key] = value;
  }
  for (const [key, field] of FLAG_FIELDS) {
    if (ops[field] === true) json[key] = true;
  }
  return json;
}
