/**
 * Object keys are validated the same way for every adapter, so a key that works on local disk
 * works on S3 and the other way round — and so a key can never climb out of the local directory.
 */
import { ImgplaneError } from '../errors.ts';

/** S3's own limit on key length, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

export class InvalidStorageKeyError extends ImgplaneError {
  constructor(key: string, reason: string) {
    super('bad_request', `invalid storage key ${JSON.stringify(key)}: ${reason}`);
    this.name = 'InvalidStorageKeyError';
  }
}

/** Why `key` is not a valid object key, or null when it is. */
export function storageKeyProblem(key: string): string | null {
  if (key.length === 0) return 'it is empty';
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return `it is longer than ${MAX_KEY_BYTES} bytes`;
  if (key.includes('\0')) return 'it contains a NUL character';
  if (key.includes('\\')) return 'it contains a backslash';
  if (key.startsWith('/')) return 'it is absolute (starts with "/")';
  const segments = key.split('/');
  if (segments.includes('..')) return 'it contains a ".." segment';
  if (segments.includes('.')) return 'it contains a "." segment';
  if (segments.includes('')) return 'it contains an empty segment ("//" or a trailing "/")';
  return null;
}

export function assertValidStorageKey(key: string): void {
  const problem = storageKeyProblem(key);
  if (problem !== null) throw new InvalidStorageKeyError(key, problem);
}
