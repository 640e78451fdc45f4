/**
 * Turns a libvips failure into the client-facing 422 (or 503 for sharp's own timeout): the first
 * line of the reason only, with the file path removed, since messages reach API clients.
 */
import { ImgplaneError, isImgplaneError } from '../errors.ts';

const MAX_REASON_LENGTH = 160;

export function decodeError(error: unknown, input: string | Buffer): ImgplaneError {
  if (isImgplaneError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/^timeout: \d+% complete/.test(message)) return transformTimeout(undefined, error);
  return new ImgplaneError('unprocessable_image', `image could not be decoded: ${shortReason(message, input)}`, {
    cause: error,
  });
}

/** The 503 for a transform over its time budget; a retry may land on a less busy process. */
export function transformTimeout(timeoutMs: number | undefined, cause?: unknown): ImgplaneError {
  const budget = timeoutMs === undefined ? '' : ` of ${timeoutMs} ms`;
  return new ImgplaneError('timeout', `image transform exceeded its time budget${budget}`, {
    retryAfterSeconds: 1,
    cause,
  });
}

/**
 * The 422 for an upload whose decode check ran past the transform time budget: every delivery of
 * it would too, so it is refused rather than stored.
 */
export function undecodableInTime(timeoutMs: number): ImgplaneError {
  return new ImgplaneError(
    'unprocessable_image',
    `image could not be decoded within ${timeoutMs} ms (transform_timeout_ms): no variant of it could be delivered`,
    { detail: { limit: 'transform_timeout_ms', timeoutMs } },
  );
}

function shortReason(message: string, input: string | Buffer): string {
  let reason = message.split('\n')[0] ?? '';
  if (typeof input === 'string' && input !== '') reason = reason.replaceAll(`${input}: `, '').replaceAll(input, '');
  reason = reason.trim();
  if (reason === '') return 'unknown decoder error';
  return reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH)}...` : reason;
}
