import { ImgplaneError } from '../errors.ts';

/** SigV4 presigned URLs live at most seven days; the same bound applies to every adapter. */
export const MAX_PRESIGN_TTL_SECONDS = 7 * 24 * 60 * 60;

export function assertValidPresignTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_PRESIGN_TTL_SECONDS) {
    throw new ImgplaneError(
      'bad_request',
      `presigned URL lifetime must be a whole number of seconds from 1 to ${MAX_PRESIGN_TTL_SECONDS}, got ${ttlSeconds}`,
    );
  }
}
