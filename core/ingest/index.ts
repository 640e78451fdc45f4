/** Upload validation's public surface. */
export { inspectOriginal } from './inspect.ts';
export type { ImageFacts, IngestLimits } from './types.ts';
