/**
 * `<ImgplaneImage>`: an `<img>` with a canonical imgplane `src` and a `srcset`, or a `<picture>`
 * when art-directed `sources` are given. Written with createElement (no JSX), so it needs no build
 * step; React is a peer dependency.
 */
import { createElement, type ImgHTMLAttributes, type ReactElement } from 'react';
import { densitySrcset, widthSrcset, type SrcsetOptions } from './srcset.ts';
import { imageRefFromUrl, imageUrl, type ImageExtension, type ImageOps, type ImageRef } from './url.ts';

/** How a `srcset` is made: widths (`400w`, chosen through `sizes`) or densities (`1.5x` of one CSS width). */
export interface Candidates {
  widths?: readonly number[];
  /** Slot widths for width candidates; default `100vw`. */
  sizes?: string;
  /** Used when no widths are given. */
  densities?: readonly number[];
}

/** A `<source>` of a `<picture>`: its media condition, extra operations and candidates. */
export interface PictureSource extends Candidates {
  media: string;
  ops?: ImageOps;
}

export interface ImgplaneImageProps extends Omit<ImgHTMLAttributes<HTMLImageElement>, 'src' | 'srcSet' | 'sizes'>, Candidates {
  /** The asset: a reference, or any of its imgplane URLs (such as an upload's `urls.original`). */
  image: ImageRef | string;
  /** Operations of every candidate; `width` also sizes the fallback `src`. */
  ops?: ImageOps;
  extension?: ImageExtension;
  /** Art direction: the first source whose media matches wins, the `<img>` is the fallback. */
  sources?: readonly PictureSource[];
}

function srcsetAttributes(ref: ImageRef, candidates: Candidates, options: SrcsetOptions): { srcSet?: string; sizes?: string } {
  if (candidates.widths && candidates.widths.length > 0) {
    return { srcSet: widthSrcset(ref, candidates.widths, options), sizes: candidates.sizes ?? '100vw' };
  }
  if (candidates.densities && candidates.densities.length > 0) return { srcSet: densitySrcset(ref, candidates.densities, options) };
  return {};
}

export function ImgplaneImage(props: ImgplaneImageProps): ReactElement {
  const { image, ops, extension, sources, widths, sizes, densities, ...imgProps } = props;
  const ref = typeof image === 'string' ? imageRefFromUrl(image) : image;
  const img = createElement('img', {
    ...imgProps,
    src: imageUrl(ref, ops, extension),
    ...srcsetAttributes(ref, { widths, sizes, densities }, { ops, extension }),
  });
  if (!sources || sources.length === 0) return img;
  return createElement(
    'picture',
    null,
    ...sources.map((source) =>
      createElement('source', {
        key: source.media,
        media: source.media,
        ...srcsetAttributes(ref, source, { ops: { ...ops, ...source.ops }, extension }),
      }),
    ),
    img,
  );
}
