/**
 * Checks an object body against what the caller says it is (SHA-256, byte length) on its way into
 * a store. For streams the check runs while the bytes flow, and the last chunk is held back until
 * the whole body checked out: a store that only commits a complete body (S3 and MinIO commit a
 * PUT only once Content-Length bytes arrived; the local adapter renames a finished temp file)
 * therefore never commits a body that fails — also on servers that ignore checksum headers.
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { ImgplaneError } from '../errors.ts';

export interface BodyExpectations {
  /** Hex SHA-256 of the body. */
  sha256?: string;
  /** Byte length of the body. */
  size?: number;
}

/** The body is not what the caller said it is (hash or length); nothing was stored. */
export class StorageIntegrityError extends ImgplaneError {
  constructor(key: string, problem: string) {
    super('bad_request', `object ${key} was not stored: ${problem}`, { detail: { key } });
    this.name = 'StorageIntegrityError';
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** Rejects malformed expectations before any byte is written. */
export function assertValidExpectations(key: string, expected: BodyExpectations): void {
  if (expected.sha256 !== undefined && !SHA256_HEX.test(expected.sha256)) {
    throw new StorageIntegrityError(key, 'sha256 must be 64 hexadecimal digits');
  }
  if (expected.size !== undefined && !(Number.isSafeInteger(expected.size) && expected.size >= 0)) {
    throw new StorageIntegrityError(key, `size must be a non-negative integer, got ${expected.size}`);
  }
}

/** Hex SHA-256 → base64, the form S3's ChecksumSHA256 takes. */
export function sha256HexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

function mismatch(
  key: string,
  expected: BodyExpectations,
  actual: { size: number; sha256: () => string },
): StorageIntegrityError | null {
  if (expected.size !== undefined && actual.size !== expected.size) {
    return new StorageIntegrityError(key, `body is ${actual.size} bytes, expected ${expected.size}`);
  }
  if (expected.sha256 !== undefined) {
    const sha256 = actual.sha256();
    if (sha256 !== expected.sha256.toLowerCase()) {
      return new StorageIntegrityError(key, `body sha256 is ${sha256}, expected ${expected.sha256.toLowerCase()}`);
    }
  }
  return null;
}

export function assertBufferMatches(key: string, body: Buffer, expected: BodyExpectations): void {
  assertValidExpectations(key, expected);
  const problem = mismatch(key, expected, {
    size: body.length,
    sha256: () => createHash('sha256').update(body).digest('hex'),
  });
  if (problem) throw problem;
}

/**
 * A pass-through stream that fails (and withholds the final chunk) when the body does not match.
 * `failure()` tells afterwards whether it was the guard that failed, since HTTP clients wrap or
 * replace a body stream's error with their own.
 */
export interface BodyGuard {
  stream: Transform;
  failure(): StorageIntegrityError | undefined;
}

export function guardBody(key: string, expected: BodyExpectations): BodyGuard {
  assertValidExpectations(key, expected);
  const hash = createHash('sha256');
  let size = 0;
  let withheld: Buffer | undefined;
  let failed: StorageIntegrityError | undefined;
  const fail = (error: StorageIntegrityError) => {
    failed = error;
    return error;
  };
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      if (expected.size !== undefined && size > expected.size) {
        callback(fail(new StorageIntegrityError(key, `body is longer than the expected ${expected.size} bytes`)));
        return;
      }
      const previous = withheld;
      withheld = chunk;
      callback(null, previous);
    },
    flush(callback) {
      const problem = mismatch(key, expected, { size, sha256: () => hash.digest('hex') });
      if (problem) callback(fail(problem));
      else callback(null, withheld);
    },
  });
  return { stream, failure: () => failed };
}
