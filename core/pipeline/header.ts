/**
 * What an image's header says, read without decoding pixels. Limits are checked against it
 * before any decode, so a 1 MB file that claims 20000x14000 pixels costs a header read, not 280 MB.
 */
import sharp from 'sharp';
import type { Metadata } from 'sharp';
import { ImgplaneError } from '../errors.ts';
import { decodeError } from './decode-error.ts';

/** sharp input formats whose pages are animation frames (HEIF items and TIFF pages are not). */
const ANIMATED_INPUT_FORMATS: ReadonlySet<string> = new Set(['gif', 'webp']);

export interface ImageHeader {
  /** sharp's decoder name: 'jpeg', 'png', 'webp', 'gif', 'heif', 'tiff', 'svg', ... */
  format: string;
  /** HEIF payload codec ('av1' for AVIF, 'hevc' for HEIC); undefined for other formats. */
  compression: string | undefined;
  /** Stored size of one frame, before EXIF orientation is applied. */
  width: number;
  height: number;
  /** Animation frames; 1 for still images. */
  frames: number;
  orientation: number | undefined;
  hasAlpha: boolean;
  /** libvips interpretation, e.g. 'srgb', 'cmyk', 'b-w', 'grey16', 'rgb16'. */
  space: string;
}

export async function readImageHeader(input: string | Buffer): Promise<ImageHeader> {
  let metadata: Metadata;
  try {
    // Reading the header allocates no pixels, so sharp's own pixel limit (which metadata() also
    // applies) is lifted here: the callers' limit checks must see the real dimensions to explain them.
    metadata = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw decodeError(error, input);
  }
  const { format, width, height } = metadata;
  if (format === undefined || !width || !height) {
    throw new ImgplaneError('unprocessable_image', 'image could not be decoded: no dimensions in its header');
  }
  return {
    format,
    compression: metadata.compression,
    width,
    height,
    frames: ANIMATED_INPUT_FORMATS.has(format) ? Math.max(1, metadata.pages ?? 1) : 1,
    orientation: metadata.orientation,
    hasAlpha: metadata.hasAlpha,
    space: metadata.space ?? 'srgb',
  };
}

/** Width and height as displayed, after EXIF orientation 5-8 swaps the axes. */
export function orientedSize(header: ImageHeader): { width: number; height: number } {
  const swapsAxes = header.orientation !== undefined && header.orientation >= 5;
  return swapsAxes
    ? { width: header.height, height: header.width }
    : { width: header.width, height: header.height };
}

/**
 * Explains why decoding `frames` frames would exceed `maxInputPixels`, or returns undefined when it
 * would not. Callers choose the error code: 413 at upload, 422 at delivery.
 */
export function pixelLimitExcess(header: ImageHeader, frames: number, maxInputPixels: number): string | undefined {
  const pixels = header.width * header.height * frames;
  if (pixels <= maxInputPixels) return undefined;
  const framesPart = frames > 1 ? ` x ${frames} frames` : '';
  return `image is ${header.width}x${header.height}${framesPart} = ${pixels} pixels, over the limit of ${maxInputPixels}`;
}
