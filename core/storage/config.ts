/**
 * Storage configuration, read once from the environment and validated, so a wrong setting stops
 * the server at start-up with a message naming the variable.
 *
 * | variable                   | used by | default                                  | meaning |
 * |----------------------------|---------|------------------------------------------|---------|
 * | STORAGE                    | all     | local                                    | `local`, `s3` or `minio` |
 * | STORAGE_DIR                | local   | the server's data directory              | folder holding objects (`objects/`) and their metadata (`meta/`) |
 * | STORAGE_CONNECT_TIMEOUT_MS | s3      | 2000                                     | give up connecting after this long |
 * | STORAGE_IDLE_TIMEOUT_MS    | s3, minio | 5000                                   | give up when the connection is silent this long (also mid-transfer) |
 * | STORAGE_MAX_ATTEMPTS       | s3, minio | 2                                      | attempts per call, retries included |
 * | S3_BUCKET                  | s3      | required                                 | bucket name |
 * | S3_REGION                  | s3      | AWS_REGION, else us-east-1 with an endpoint, else required | region |
 * | S3_ENDPOINT                | s3      | AWS                                      | URL of an S3-compatible service (GCS, Ceph, MinIO …) |
 * | S3_FORCE_PATH_STYLE        | s3      | true with S3_ENDPOINT, else false        | `http://host/bucket/key` instead of `http://bucket.host/key` |
 * | S3_ACCESS_KEY_ID           | s3      | SDK default provider chain               | set together with S3_SECRET_ACCESS_KEY |
 * | S3_SECRET_ACCESS_KEY       | s3      | SDK default provider chain               | set together with S3_ACCESS_KEY_ID |
 * | S3_CHECKSUM_MODE           | s3      | when_required with S3_ENDPOINT, else when_supported | SDK flexible checksums; S3-compatible services often reject or mis-store them |
 * | MINIO_ENDPOINT             | minio   | required                                 | host name, or URL (`https://minio:9000` sets port and TLS) |
 * | MINIO_PORT                 | minio   | from the URL, else 443 with TLS, else 9000 | port |
 * | MINIO_USE_SSL              | minio   | from the URL, else false                 | TLS on/off |
 * | MINIO_ACCESS_KEY           | minio   | required                                 | access key |
 * | MINIO_SECRET_KEY           | minio   | required                                 | secret key |
 * | MINIO_BUCKET               | minio   | required                                 | bucket name |
 * | MINIO_REGION               | minio   | us-east-1                                | region (saves a bucket-location lookup) |
 *
 * Booleans accept true/false, 1/0, yes/no.
 */
import { resolve } from 'node:path';
import { StorageConfigError } from './types.ts';

/** Client-side bounds that make a dead or hung store fail fast instead of hanging requests. */
export interface RemoteTimeouts {
  connectMs: number;
  /** Socket inactivity limit; applies to transfers too, so a silent server cannot stall a reader. */
  idleMs: number;
  /** Attempts per call, first try included. */
  maxAttempts: number;
}

export const DEFAULT_REMOTE_TIMEOUTS: Readonly<RemoteTimeouts> = Object.freeze({
  connectMs: 2_000,
  idleMs: 5_000,
  maxAttempts: 2,
});

/** The SDK's flexible-checksum setting (requestChecksumCalculation/responseChecksumValidation). */
export type S3ChecksumMode = 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';

export interface LocalStorageConfig {
  kind: 'local';
  dir: string;
}

export interface S3StorageConfig {
  kind: 's3';
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  /** Absent: the SDK's default provider chain (env, profile, instance role …). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Absent: WHEN_REQUIRED with a custom endpoint, WHEN_SUPPORTED (the SDK default) on AWS. */
  checksumMode?: S3ChecksumMode;
  timeouts?: Partial<RemoteTimeouts>;
}

/** The checksum mode a config ends up with (see S3StorageConfig.checksumMode). */
export function effectiveChecksumMode(config: S3StorageConfig): S3ChecksumMode {
  return config.checksumMode ?? (config.endpoint === undefined ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED');
}

export interface MinioStorageConfig {
  kind: 'minio';
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
  timeouts?: Partial<RemoteTimeouts>;
}

export type StorageConfig = LocalStorageConfig | S3StorageConfig | MinioStorageConfig;

type Env = NodeJS.ProcessEnv;

/** A set, non-blank variable, trimmed; undefined otherwise. */
function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function required(env: Env, name: string, why: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new StorageConfigError(`${name} must be set ${why}`);
  return value;
}

function booleanVar(env: Env, name: string, fallback: boolean): boolean {
  const value = optional(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new StorageConfigError(`${name} must be true or false, got ${JSON.stringify(env[name])}`);
}

function integerVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = optional(env, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new StorageConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

function urlVar(env: Env, name: string): URL | undefined {
  const value = optional(env, name);
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // reported below
  }
  throw new StorageConfigError(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
}

function timeoutsFromEnv(env: Env): RemoteTimeouts {
  return {
    connectMs: integerVar(env, 'STORAGE_CONNECT_TIMEOUT_MS', DEFAULT_REMOTE_TIMEOUTS.connectMs, 1, 600_000),
    idleMs: integerVar(env, 'STORAGE_IDLE_TIMEOUT_MS', DEFAULT_REMOTE_TIMEOUTS.idleMs, 1, 600_000),
    maxAttempts: integerVar(env, 'STORAGE_MAX_ATTEMPTS', DEFAULT_REMOTE_TIMEOUTS.maxAttempts, 1, 10),
  };
}

function s3ConfigFromEnv(env: Env): S3StorageConfig {
  const why = 'when STORAGE=s3';
  const endpoint = urlVar(env, 'S3_ENDPOINT');
  const region =
    optional(env, 'S3_REGION') ??
    optional(env, 'AWS_REGION') ??
    optional(env, 'AWS_DEFAULT_REGION') ??
    (endpoint ? 'us-east-1' : required(env, 'S3_REGION', `${why} (or AWS_REGION)`));

  const accessKeyId = optional(env, 'S3_ACCESS_KEY_ID');
  const secretAccessKey = optional(env, 'S3_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    const missing = accessKeyId === undefined ? 'S3_ACCESS_KEY_ID' : 'S3_SECRET_ACCESS_KEY';
    throw new StorageConfigError(`${missing} must be set together with the other S3 key (or leave both unset)`);
  }

  const checksumSetting = optional(env, 'S3_CHECKSUM_MODE')?.toLowerCase();
  if (checksumSetting !== undefined && checksumSetting !== 'when_supported' && checksumSetting !== 'when_required') {
    throw new StorageConfigError(
      `S3_CHECKSUM_MODE must be when_supported or when_required, got ${JSON.stringify(checksumSetting)}`,
    );
  }

  return {
    kind: 's3',
    bucket: required(env, 'S3_BUCKET', why),
    region,
    ...(endpoint ? { endpoint: endpoint.href.replace(/\/$/, '') } : {}),
    forcePathStyle: booleanVar(env, 'S3_FORCE_PATH_STYLE', endpoint !== undefined),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    ...(checksumSetting
      ? { checksumMode: checksumSetting === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED' }
      : {}),
    timeouts: timeoutsFromEnv(env),
  };
}

function minioConfigFromEnv(env: Env): MinioStorageConfig {
  const why = 'when STORAGE=minio';
  const endpointSetting = required(env, 'MINIO_ENDPOINT', why);
  const url = endpointSetting.includes('://') ? urlVar(env, 'MINIO_ENDPOINT') : undefined;
  const useSSL = booleanVar(env, 'MINIO_USE_SSL', url?.protocol === 'https:');
  const urlPort = url?.port ? Number(url.port) : undefined;
  return {
    kind: 'minio',
    endPoint: url ? url.hostname : endpointSetting,
    port: integerVar(env, 'MINIO_PORT', urlPort ?? (useSSL ? 443 : 9000), 1, 65_535),
    useSSL,
    accessKey: required(env, 'MINIO_ACCESS_KEY', why),
    secretKey: required(env, 'MINIO_SECRET_KEY', why),
    bucket: required(env, 'MINIO_BUCKET', why),
    region: optional(env, 'MINIO_REGION') ?? 'us-east-1',
    timeouts: timeoutsFromEnv(env),
  };
}

export function storageConfigFromEnv(env: Env, defaults: { localDir: string }): StorageConfig {
  const kind = optional(env, 'STORAGE')?.toLowerCase() ?? 'local';
  switch (kind) {
    case 'local':
      return { kind: 'local', dir: resolve(optional(env, 'STORAGE_DIR') ?? defaults.localDir) };
    case 's3':
      return s3ConfigFromEnv(env);
    case 'minio':
      return minioConfigFromEnv(env);
    default:
      throw new StorageConfigError(`STORAGE must be local, s3 or minio, got ${JSON.stringify(env.STORAGE)}`);
  }
}
