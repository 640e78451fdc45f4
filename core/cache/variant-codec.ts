/**
 * The binary form of a cached variant in Redis: one value holding a small header and then the
 * image bytes untouched, so a hit costs one GET and no base64 or JSON decoding of megabytes.
 *
 *   byte 0          format version (1)
 *   bytes 1-2       content-type length C (uint16 BE), then C bytes of UTF-8
 *   next 2 bytes    ETag length E (uint16 BE), then E bytes of UTF-8
 *   rest            the body
 */
import type { CachedVariant } from './types.ts';

const FORMAT_VERSION = 1;
const MAX_FIELD_BYTES = 0xffff;

export function encodeVariant(value: CachedVariant): Buffer {
  const contentType = Buffer.from(value.contentType, 'utf8');
  const etag = Buffer.from(value.etag, 'utf8');
  if (contentType.length > MAX_FIELD_BYTES || etag.length > MAX_FIELD_BYTES) {
    throw new RangeError('content type or ETag too long to encode');
  }
  const header = Buffer.allocUnsafe(5 + contentType.length + etag.length);
  let offset = header.writeUInt8(FORMAT_VERSION, 0);
  offset = header.writeUInt16BE(contentType.length, offset);
  offset += contentType.copy(header, offset);
  offset = header.writeUInt16BE(etag.length, offset);
  etag.copy(header, offset);
  return Buffer.concat([header, value.body]);
}

/** Undefined for anything that is not a well-formed value of this format (treated as a miss). */
export function decodeVariant(raw: Buffer): CachedVariant | undefined {
  if (raw.length < 5 || raw[0] !== FORMAT_VERSION) return undefined;
  const contentTypeEnd = 3 + raw.readUInt16BE(1);
  if (contentTypeEnd + 2 > raw.length) return undefined;
  const etagEnd = contentTypeEnd + 2 + raw.readUInt16BE(contentTypeEnd);
  if (etagEnd > raw.length) return undefined;
  return {
    contentType: raw.toString('utf8', 3, contentTypeEnd),
    etag: raw.toString('utf8', contentTypeEnd + 2, etagEnd),
    // A view, not a copy: the reply buffer is ours alone.
    body: raw.subarray(etagEnd),
  };
}
