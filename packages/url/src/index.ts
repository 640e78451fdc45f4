/**
 * @imgplane/url: canonical image URLs, srcset and sizes. Pure, for browsers and servers alike;
 * signing (server-side, secrets) is `@imgplane/url/sign`, the React component `@imgplane/url/react`.
 */
export { imagePath, imageRefFromUrl, imageUrl, opsSegment } from './url.ts';
export type { ImageExtension, ImageOps, ImageRef } from './url.ts';
export { densitySrcset, sizes, widthSrcset } from './srcset.ts';
export type { SizeRule, SrcsetOptions } from './srcset.ts';
export { ImgplaneError } from '../../../core/errors.ts';
export type { Fit, Gravity, Rotation } from '../../../core/ops/types.ts';
