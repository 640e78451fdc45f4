/**
 * Turns what the S3 SDK, the MinIO client and Node's HTTP stack throw into the storage error
 * family: a missing key → StorageNotFoundError, an unreachable/slow/failing store →
 * StorageUnavailableError (503, retryable), a missing bucket or rejected credentials →
 * StorageConfigError. Both clients are classified by the same S3 error codes and statuses.
 */
import { PassThrough, type Readable } from 'node:stream';
import { ImgplaneError } from '../errors.ts';
import { StorageConfigError, StorageNotFoundError, StorageUnavailableError } from './types.ts';

export interface RemoteContext {
  bucket: string;
  /** The object the operation was about; absent for bucket-level calls. */
  key?: string;
}

const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound']);
const MISSING_BUCKET_CODES = new Set(['NoSuchBucket']);
const CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'Forbidden',
  'ExpiredToken',
  'InvalidToken',
  'CredentialsProviderError',
]);
/** Network failures, timeouts and server-side throttling or faults: worth retrying later. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'TimeoutError',
  'RequestTimeout',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
]);

interface FailureFacts {
  codes: string[];
  status: number | undefined;
  message: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The codes (name, code, Code) and HTTP status an error carries, including its cause's. */
function factsOf(error: unknown): FailureFacts {
  const codes: string[] = [];
  let status: number | undefined;
  for (let current: unknown = error, depth = 0; isRecord(current) && depth < 3; current = current.cause, depth++) {
    for (const field of ['name', 'code', 'Code']) {
      const value = current[field];
      if (typeof value === 'string' && value !== 'Error') codes.push(value);
    }
    const metadata = current.$metadata;
    const httpStatus = isRecord(metadata) ? metadata.httpStatusCode : current.statusCode;
    if (status === undefined && typeof httpStatus === 'number') status = httpStatus;
  }
  const message = error instanceof Error ? error.message : String(error);
  return { codes, status, message };
}

/** The storage error for a failed call; errors already in the family pass through unchanged. */
export function toStorageError(error: unknown, context: RemoteContext): Error {
  if (error instanceof ImgplaneError || error instanceof StorageConfigError) return error;
  const { codes, status, message } = factsOf(error);
  const has = (set: Set<string>) => codes.some((code) => set.has(code));
  const reason = codes[0] ?? (status === undefined ? message : `HTTP ${status}`);

  if (has(MISSING_BUCKET_CODES) || (context.key === undefined && status === 404)) {
    return new StorageConfigError(`bucket ${context.bucket} does not exist`, error);
  }
  if (context.key !== undefined && (has(NOT_FOUND_CODES) || status === 404)) {
    return new StorageNotFoundError(context.key);
  }
  if (has(CREDENTIAL_CODES) || status === 401 || status === 403) {
    return new StorageConfigError(`credentials rejected for bucket ${context.bucket} (${reason})`, error);
  }
  if (has(TRANSIENT_CODES) || status === 408 || status === 429 || (status !== undefined && status >= 500)) {
    const subject = context.key === undefined ? `bucket ${context.bucket}` : `${context.bucket}/${context.key}`;
    return new StorageUnavailableError(`${subject}: ${reason}`, error);
  }
  return error instanceof Error ? error : new Error(message);
}

/** Runs one client call, translating its failure into the storage error family. */
export async function mapStorageErrors<T>(context: RemoteContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toStorageError(error, context);
  }
}

/**
 * Passes a downloaded body through, converting a failure mid-stream (server gone, idle timeout)
 * into the storage error family too, so readers such as Sharp see a typed 503 cause.
 */
export function withStorageErrors(body: Readable, context: RemoteContext): Readable {
  const output = new PassThrough();
  body.once('error', (error) => output.destroy(toStorageError(error, context)));
  // A reader that gives up early must release the connection behind the body.
  output.once('close', () => {
    if (!body.readableEnded) body.destroy();
  });
  body.pipe(output);
  return output;
}
