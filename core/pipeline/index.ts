/** The Sharp pipeline's public surface. */
export { transformImage } from './transform.ts';
export { configureSharp, createTransformLimiter } from './limiter.ts';
export type { TransformLimiter, TransformLimiterOptions, SharpSettings } from './limiter.ts';
export type { EncoderSettings, TransformLimits, TransformRequest, TransformResult } from './types.ts';
