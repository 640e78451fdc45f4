/** The master key that seals tenant secrets (webhook secrets, CDN credentials), or a clear 503. */
import { ImgplaneError } from '../../core/errors.ts';

export function requireMasterKey(masterKey: Buffer | undefined, what: string): Buffer {
  if (!masterKey) throw new ImgplaneError('unavailable', `${what} needs IMGPLANE_MASTER_KEY, which this server was started without`);
  return masterKey;
}

/** Maps the SQL functions' permission error (42501) to a 403 and passes anything else through. */
export function forbiddenOn42501(message: string): (error: unknown) => never {
  return (error: unknown) => {
    throw (error as { code?: string }).code === '42501' ? new ImgplaneError('forbidden', message) : error;
  };
}
