/**
 * The one place that constructs a decoding sharp instance, so delivery and the upload decode check
 * decode with exactly the same safety settings.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import type { ImageHeader } from './header.ts';

export interface OpenImageOptions {
  /** Frames to decode from the start: 1 for a still, -1 for every page. */
  pages: number;
  maxInputPixels: number;
}

export async function openImage(
  input: string | Buffer,
  header: ImageHeader,
  { pages, maxInputPixels }: OpenImageOptions,
): Promise<Sharp> {
  // librsvg resolves relative hrefs and XIncludes against an SVG file's directory, which holds
  // other tenants' originals; from a buffer it has no base location and loads nothing external.
  const source = header.format === 'svg' && typeof input === 'string' ? await readFile(input) : input;
  return sharp(source, {
    // libvips counts width x height of everything decoded (all frames): a second line of defence
    // behind our header check.
    limitInputPixels: maxInputPixels,
    // 'error' also rejects truncated data, so a cut-off upload never passes as an image.
    failOn: 'error',
    // Left unset for one page: HEIF then decodes its primary item rather than item 0.
    ...(pages === 1 ? {} : { pages }),
  });
}
