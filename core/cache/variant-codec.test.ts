import { describe, expect, it } from 'vitest';
import { decodeVariant, encodeVariant } from './variant-codec.ts';

const allByteValues = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe('variant codec', () => {
  it('round-trips every byte value with content type and ETag', () => {
    const value = { body: allByteValues, contentType: 'image/avif', etag: '"sha256-ü"' };
    expect(decodeVariant(encodeVariant(value))).toEqual(value);
  });

  it('stores the body raw after a small header', () => {
    const encoded = encodeVariant({ body: allByteValues, contentType: 'image/png', etag: '"e"' });
    expect(encoded.length).toBe(256 + 5 + 'image/png'.length + 3);
    expect(encoded.subarray(encoded.length - 256).equals(allByteValues)).toBe(true);
  });

  it('round-trips an empty body', () => {
    const value = { body: Buffer.alloc(0), contentType: 'image/gif', etag: '""' };
    expect(decodeVariant(encodeVariant(value))).toEqual(value);
  });

  it('reads anything malformed as absent', () => {
    const good = encodeVariant({ body: Buffer.from('x'), contentType: 'image/png', etag: '"e"' });
    expect(decodeVariant(Buffer.alloc(0))).toBeUndefined();
    expect(decodeVariant(Buffer.from('base64 json from an older format'))).toBeUndefined();
    expect(decodeVariant(good.subarray(0, 8))).toBeUndefined();
    const wrongVersion = Buffer.from(good);
    wrongVersion[0] = 2;
    expect(decodeVariant(wrongVersion)).toBeUndefined();
  });

  it('refuses a header field too long for its length prefix', () => {
    expect(() => encodeVariant({ body: Buffer.alloc(1), contentType: 'x'.repeat(70_000), etag: '"e"' })).toThrow(RangeError);
  });
});
