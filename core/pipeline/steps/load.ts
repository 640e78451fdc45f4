import type { Sharp } from 'sharp';
import type { TransformOps } from '../../ops/types.ts';
import type { OutputFormat } from '../../policy.ts';
import { ImgplaneError } from '../../errors.ts';
import { orientedSize, pixelLimitExcess, readImageHeader } from '../header.ts';
import type { ImageHeader } from '../header.ts';
import { openImage } from '../open-image.ts';
import type { PipelineState } from '../state.ts';
import type { TransformLimits } from '../types.ts';

const ANIMATED_OUTPUT_FORMATS: ReadonlySet<OutputFormat> = new Set(['gif', 'webp']);

/**
 * Reads the header, checks the pixel budget, then opens the decoder with the frames the output
 * needs. Nothing is decoded yet: libvips starts pulling pixels when `encode` runs.
 */
export async function load(
  input: string | Buffer,
  ops: TransformOps,
  limits: TransformLimits,
): Promise<PipelineState> {
  const header = await readImageHeader(input);
  const frames = framesToDecode(header, ops, limits.maxFrames);
  const excess = pixelLimitExcess(header, frames, limits.maxInputPixels);
  if (excess !== undefined) {
    throw new ImgplaneError('unprocessable_image', excess, { detail: { limit: 'max_input_pixels' } });
  }
  const image = stopAfter(await openImage(input, header, { pages: frames, maxInputPixels: limits.maxInputPixels }), limits);
  const size = orientedSize(header);
  const focus = ops.focal === null ? undefined : { x: ops.focal.x * size.width, y: ops.focal.y * size.height };
  return { image, header, frames, size, focus };
}

/** libvips' own stop, in whole seconds, so abandoned work does not run on after our guard fires. */
export function stopAfter(image: Sharp, limits: Pick<TransformLimits, 'timeoutMs'>): Sharp {
  return image.timeout({ seconds: Math.max(1, Math.ceil(limits.timeoutMs / 1000)) });
}

/**
 * Animation survives only into GIF/WebP, capped at `maxFrames` (a bounded result rather than a
 * refusal). libvips cannot rotate by 90/270 or flip an animation frame by frame (it would turn the
 * whole strip of frames), so those requests, and EXIF-oriented animations, get the first frame.
 * `trim` has no multi-page form in libvips either.
 */
export function framesToDecode(
  header: Pick<ImageHeader, 'frames' | 'orientation'>,
  ops: Pick<TransformOps, 'format' | 'rotate' | 'flip' | 'trim'>,
  maxFrames: number,
): number {
  if (header.frames <= 1 || !ANIMATED_OUTPUT_FORMATS.has(ops.format)) return 1;
  const turnsFrames = ops.rotate !== 0 || ops.flip || ops.trim !== null || (header.orientation ?? 1) > 1;
  return turnsFrames ? 1 : Math.min(header.frames, maxFrames);
}
