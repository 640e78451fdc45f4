/** Upload validation's public surface. */
export { inspectOriginal } from './inspect.ts';
export type { DecodeCheck, ImageFacts, IngestLimits } from './types.ts';
