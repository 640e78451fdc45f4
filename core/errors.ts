/**
 * One typed error family for the whole platform. Every error a client can cause maps to an HTTP
 * status and a JSON body `{ error, message, detail? }`; anything else is an internal error whose
 * details are logged, never sent.
 */
export type ErrorCode =
  | 'bad_request'
  | 'invalid_ops'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unprocessable_image'
  | 'rate_limited'
  | 'unavailable'
  | 'timeout'
  | 'internal';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  bad_request: 400,
  invalid_ops: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable_image: 422,
  rate_limited: 429,
  unavailable: 503,
  timeout: 503,
  internal: 500,
};

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  detail?: Record<string, unknown>;
}

export class ImgplaneError extends Error {
  readonly code: ErrorCode;
  readonly detail: Record<string, unknown> | undefined;
  /** Seconds a client should wait before retrying (503/429); sent as `Retry-After`. */
  readonly retryAfterSeconds: number | undefined;
  /** Further response headers the answer must carry (e.g. RateLimit-Policy / RateLimit on a 429). */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { detail?: Record<string, unknown>; retryAfterSeconds?: number; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ImgplaneError';
    this.code = code;
    this.detail = options.detail;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers;
  }

  get status(): number {
    return STATUS_BY_CODE[this.code];
  }

  toBody(): ErrorBody {
    return this.detail === undefined
      ? { error: this.code, message: this.message }
      : { error: this.code, message: this.message, detail: this.detail };
  }
}

export const badRequest = (message: string, detail?: Record<string, unknown>) =>
  new ImgplaneError('bad_request', message, { detail });
export const notFound = (message = 'not found') => new ImgplaneError('not_found', message);
export const unauthorized = (message: string) => new ImgplaneError('unauthorized', message);
export const forbidden = (message: string) => new ImgplaneError('forbidden', message);

export function isImgplaneError(error: unknown): error is ImgplaneError {
  return error instanceof ImgplaneError;
}
