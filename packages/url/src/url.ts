/**
 * imgplane image URLs from typed operations. The text is written and checked by the server's own
 * grammar (core/ops for `{ops}`, core/delivery-path for the path), so every URL built here is one
 * the server parses as meant, in its canonical spelling, and a mistake (`width: 0`, an unknown
 * fit, a bad slug) throws here with the message the server would answer 400 with.
 *
 * Only the pure grammar modules are imported (not core/ops/index.ts, whose variant-key module
 * needs node:crypto), so this file bundles for browsers as dist/imgplane-url.js.
 */
import { parseDeliveryPath, type DeliveryAccess } from '../../../core/delivery-path.ts';
import { formatOps, ORIGINAL_CANONICAL } from '../../../core/ops/canonical.ts';
import { parseOps } from '../../../core/ops/parse.ts';
import type { ParsedOps } from '../../../core/ops/types.ts';

/** What a URL may ask for: the grammar's own type (`w_800` is `{ width: 800 }`, `bw` is `{ grayscale: true }`). */
export type ImageOps = ParsedOps;

/** The URL's extension: the output format, or the fallback when `format: 'auto'` negotiates. */
export type ImageExtension = 'jpg' | 'jpeg' | 'png' | 'webp' | 'avif' | 'gif';

/** One asset version as URLs address it. */
export interface ImageRef {
  /** Scheme and host (your CDN), e.g. `https://img.example.com`; empty or absent: a root-relative path. */
  baseUrl?: string;
  /** `pub` (default) or `priv` (needs a signature: see `@imgplane/url/sign`). */
  access?: DeliveryAccess;
  org: string;
  tenant: string;
  space: string;
  assetId: string;
  /** Default 1. `latest`: whichever version is current when the URL is fetched (cached briefly, not immutable). */
  version?: number | 'latest';
}

/**
 * The `{ops}` segment for `ops`, canonical: presets first, then the grammar's key order, values
 * normalised (`b_FFF` is written `b_ffffff`). No operations at all is `original`.
 */
export function opsSegment(ops: ImageOps = {}): string {
  const text = formatOps(ops);
  return text === '' ? ORIGINAL_CANONICAL : formatOps(parseOps(text));
}

/** `/v1/{access}/{org}/{tenant}/{space}/img/{assetId}/{v{version}|latest}/{ops}.{extension}` */
export function imagePath(ref: ImageRef, ops?: ImageOps, extension: ImageExtension = 'jpg'): string {
  const path = `/v1/${ref.access ?? 'pub'}/${ref.org}/${ref.tenant}/${ref.space}/img/${ref.assetId}/${ref.version === 'latest' ? 'latest' : `v${ref.version ?? 1}`}/${opsSegment(ops)}.${extension}`;
  parseDeliveryPath(path);
  return path;
}

export function imageUrl(ref: ImageRef, ops?: ImageOps, extension: ImageExtension = 'jpg'): string {
  return `${(ref.baseUrl ?? '').replace(/\/+$/, '')}${imagePath(ref, ops, extension)}`;
}

/**
 * The asset behind any imgplane image URL, such as the `urls.original` an upload answers with, so
 * other variants can be built from it. The URL's own operations and query are dropped.
 */
export function imageRefFromUrl(url: string): ImageRef {
  const parsed = new URL(url, 'http://relative.invalid');
  const path = parseDeliveryPath(parsed.pathname);
  return {
    baseUrl: parsed.origin === 'http://relative.invalid' ? '' : parsed.origin,
    access: path.access,
    org: path.org,
    tenant: path.tenant,
    space: path.space,
    assetId: path.assetId,
    version: path.version,
  };
}
