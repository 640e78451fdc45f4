/** The ops grammar's public surface: parse a URL segment or a preset, plan a variant, name it. */
export { parseOps, MAX_OPS_LENGTH, MAX_OPS_TOKENS } from './parse.ts';
export { parsedOpsFromJson, parsedOpsToJson } from './json.ts';
export type { PresetJson, PresetOps } from './json.ts';
export { planStandIn, planVariant, NEUTRAL_OPS, QUALITY_IGNORED } from './plan.ts';
export type { VariantPlan, VariantPlanInput, VariantSource } from './plan.ts';
export { canonicalOps, formatOps, ORIGINAL_CANONICAL } from './canonical.ts';
export { variantKey } from './variant-key.ts';
export { ACCEPT_CH, HINT_HEADERS } from './client-hints.ts';
export type { ClientHints } from './client-hints.ts';
export type { ParsedOps, TransformOps, Fit, Gravity, Rotation, AspectRatio, Borders, FocalPoint, PixelRect, RectOps } from './types.ts';
