import type { ImageHeader } from '../pipeline/header.ts';
import type { InputFormat } from '../policy.ts';

/** What upload validation learned about an original that passed every check. */
export interface ImageFacts {
  format: InputFormat;
  mimeType: string;
  width: number;
  height: number;
  frames: number;
  hasAlpha: boolean;
  /** libvips interpretation of the stored pixels, e.g. 'srgb', 'cmyk', 'b-w'. */
  colorSpace: string;
  /** EXIF orientation 1-8 when present. */
  orientation: number | undefined;
  sizeBytes: number;
}

export interface IngestLimits {
  maxBytes: number;
  maxInputPixels: number;
  maxFrames: number;
  allowSvg: boolean;
}

/**
 * Decodes the whole original or throws its 422 (`assertDecodes` in core/pipeline/decode-check.ts); the platform
 * runs it in a transform process under a deadline.
 */
export type DecodeCheck = (input: string | Buffer, header: ImageHeader, maxInputPixels: number) => Promise<void>;
