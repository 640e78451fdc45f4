/**
 * Upload validation: everything we must know about an original before it may be stored. Cheap
 * checks first (size, sniffed type, header limits), the full decode last (by default here; the
 * platform passes a check that runs in a killable transform process).
 */
import { readFile, stat } from 'node:fs/promises';
import { ImgplaneError } from '../errors.ts';
import type { InputFormat } from '../policy.ts';
import { orientedSize, pixelLimitExcess, readImageHeader } from '../pipeline/header.ts';
import { assertDecodes } from '../pipeline/decode-check.ts';
import { SVG_MIME, sniffMimeType } from './sniff.ts';
import type { DecodeCheck, ImageFacts, IngestLimits } from './types.ts';

const FORMAT_BY_MIME: ReadonlyMap<string, InputFormat> = new Map([
  ['image/jpeg', 'jpeg'],
  ['image/png', 'png'],
  ['image/webp', 'webp'],
  ['image/avif', 'avif'],
  ['image/gif', 'gif'],
  ['image/tiff', 'tiff'],
  [SVG_MIME, 'svg'],
]);

/** HEIF containers: AVIF (AV1 inside) decodes, HEIC (HEVC inside) does not in sharp's prebuilt libvips. */
const HEIF_MIMES: ReadonlySet<string> = new Set(['image/heif', 'image/heif-sequence']);
const HEIC_MIMES: ReadonlySet<string> = new Set(['image/heic', 'image/heic-sequence']);

/**
 * Validates the uploaded file at `filePath` and returns its facts, or throws 413 (bytes, pixels,
 * frames over the limit), 415 (type not allowed) or 422 (does not decode). The sniffed type wins
 * over `declaredMimeType`, which only appears in messages. Width and height are as displayed
 * (after EXIF orientation); `orientation` keeps the tag the file carries.
 */
export async function inspectOriginal(
  filePath: string,
  declaredMimeType: string | undefined,
  limits: IngestLimits,
  checkDecodes: DecodeCheck = assertDecodes,
): Promise<ImageFacts> {
  const { size } = await stat(filePath);
  if (size > limits.maxBytes) {
    throw tooLarge(`file is ${size} bytes, over the limit of ${limits.maxBytes} bytes`, 'max_upload_bytes');
  }
  const mimeType = await sniffMimeType(filePath);
  if (mimeType === undefined) {
    throw unsupported(`file content is not a recognised image type${declaredAs(declaredMimeType)}`);
  }
  const sniffedFormat = allowedFormat(mimeType, declaredMimeType, limits);
  // SVG is read into memory so it is never rendered with its directory as a base (see openImage).
  const input = sniffedFormat === 'svg' ? await readFile(filePath) : filePath;
  const header = await readImageHeader(input);
  const format = sniffedFormat ?? avifInsideHeif(header.compression);

  if (header.frames > limits.maxFrames) {
    throw tooLarge(`image has ${header.frames} frames, over the limit of ${limits.maxFrames}`, 'max_frames');
  }
  const excess = pixelLimitExcess(header, header.frames, limits.maxInputPixels);
  if (excess !== undefined) throw tooLarge(excess, 'max_input_pixels');

  await checkDecodes(input, header, limits.maxInputPixels);
  return {
    format,
    mimeType: format === 'avif' ? 'image/avif' : mimeType,
    ...orientedSize(header),
    frames: header.frames,
    hasAlpha: header.hasAlpha,
    colorSpace: header.space,
    orientation: header.orientation,
    sizeBytes: size,
  };
}

/** The input format for a sniffed type, undefined for a HEIF container still to be looked into. */
function allowedFormat(
  mimeType: string,
  declaredMimeType: string | undefined,
  limits: IngestLimits,
): InputFormat | undefined {
  if (HEIC_MIMES.has(mimeType)) throw heicUnsupported();
  if (HEIF_MIMES.has(mimeType)) return undefined;
  const format = FORMAT_BY_MIME.get(mimeType);
  if (format === undefined) {
    throw unsupported(`file type ${mimeType} is not a supported image type${declaredAs(declaredMimeType)}`);
  }
  if (format === 'svg' && !limits.allowSvg) {
    throw unsupported('SVG uploads are not allowed by this space\'s policy (allow_svg)');
  }
  return format;
}

function avifInsideHeif(compression: string | undefined): InputFormat {
  if (compression !== 'av1') throw heicUnsupported();
  return 'avif';
}

function heicUnsupported(): ImgplaneError {
  return unsupported('HEIC/HEIF images (HEVC) are not supported; upload JPEG, PNG, WebP or AVIF');
}

function declaredAs(declaredMimeType: string | undefined): string {
  return declaredMimeType ? ` (declared as ${declaredMimeType})` : '';
}

function unsupported(message: string): ImgplaneError {
  return new ImgplaneError('unsupported_media_type', message);
}

function tooLarge(message: string, limit: string): ImgplaneError {
  return new ImgplaneError('payload_too_large', message, { detail: { limit } });
}
