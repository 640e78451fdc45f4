import type { JpegEncoder, OutputFormat } from '../policy.ts';
import type { TransformOps } from '../ops/types.ts';

export interface EncoderSettings {
  avifEffort: number;
  webpEffort: number;
  pngCompressionLevel: number;
  /** `turbo` when absent (the policy's jpeg_encoder). */
  jpegEncoder?: JpegEncoder;
}

export interface TransformLimits {
  /** width x height x frames of the input, checked from the header before decoding. */
  maxInputPixels: number;
  /** Most frames kept in animated output (and accepted as input). */
  maxFrames: number;
  /** Wall-clock budget; exceeded -> ImgplaneError('timeout') (HTTP 503). */
  timeoutMs: number;
  /** Most output pixels (width x height x frames), checked before decoding (budget.ts). */
  maxOutputPixels: number;
  /** Most estimated cost in reference milliseconds, checked before decoding (budget.ts). */
  maxCost: number;
}

export interface TransformRequest {
  /** The original: a file path or its bytes. */
  input: string | Buffer;
  ops: TransformOps;
  encoder: EncoderSettings;
  limits: TransformLimits;
  signal?: AbortSignal;
}

export interface TransformResult {
  data: Buffer;
  format: OutputFormat;
  contentType: string;
  width: number;
  height: number;
  /** Milliseconds spent per named step, for `Server-Timing`. */
  timings: Record<string, number>;
}
