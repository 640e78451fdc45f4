import type { ImageHeader } from './header.ts';
import { decodeError } from './decode-error.ts';
import { openImage } from './open-image.ts';

/** Formats whose every page must decode: animation frames, and HEIF's top-level images. */
const CHECK_ALL_PAGES: ReadonlySet<string> = new Set(['gif', 'webp', 'heif']);
const THUMBNAIL_EDGE = 64;

/**
 * Proves the pipeline can decode the whole original: decodes every page that delivery may use
 * (a damaged later frame or HEIF item fails here, not on some later request) through the same
 * loader as delivery, down to a small thumbnail. TIFF pages after the first are never delivered,
 * so they are not checked. Throws the 422 'image could not be decoded: <reason>'.
 */
export async function assertDecodes(input: string | Buffer, header: ImageHeader, maxInputPixels: number): Promise<void> {
  const pages = CHECK_ALL_PAGES.has(header.format) ? -1 : 1;
  const image = await openImage(input, header, { pages, maxInputPixels });
  try {
    await image.resize({ width: THUMBNAIL_EDGE, height: THUMBNAIL_EDGE, fit: 'inside' }).raw().toBuffer();
  } catch (error) {
    throw decodeError(error, input);
  }
}
