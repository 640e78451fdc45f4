import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REMOTE_TIMEOUTS,
  effectiveChecksumMode,
  storageConfigFromEnv,
  type S3StorageConfig,
} from './config.ts';
import { StorageConfigError } from './types.ts';

const defaults = { localDir: '/var/lib/imgplane' };
const S3_BASE = { STORAGE: 's3', S3_BUCKET: 'originals' };
/** What every S3 config below has unless its case says otherwise. */
const S3_DEFAULTS = { kind: 's3', bucket: 'originals', region: 'us-east-1', timeouts: DEFAULT_REMOTE_TIMEOUTS };
const MINIO_BASE = {
  STORAGE: 'minio',
  MINIO_ENDPOINT: 'minio.internal',
  MINIO_ACCESS_KEY: 'access',
  MINIO_SECRET_KEY: 'secret',
  MINIO_BUCKET: 'originals',
};

function s3(env: NodeJS.ProcessEnv): S3StorageConfig {
  const config = storageConfigFromEnv(env, defaults);
  if (config.kind !== 's3') throw new Error(`expected s3, got ${config.kind}`);
  return config;
}

describe('storageConfigFromEnv', () => {
  it('defaults to local storage in the given directory', () => {
    expect(storageConfigFromEnv({}, defaults)).toEqual({ kind: 'local', dir: '/var/lib/imgplane' });
  });

  it('resolves STORAGE_DIR to an absolute path', () => {
    expect(storageConfigFromEnv({ STORAGE_DIR: 'data/objects' }, defaults)).toEqual({
      kind: 'local',
      dir: `${process.cwd()}/data/objects`,
    });
  });

  it('rejects an unknown STORAGE naming the variable', () => {
    expect(() => storageConfigFromEnv({ STORAGE: 'ftp' }, defaults)).toThrow(StorageConfigError);
    expect(() => storageConfigFromEnv({ STORAGE: 'ftp' }, defaults)).toThrow(/STORAGE must be local, s3 or minio/);
  });

  it.each([
    ['S3_BUCKET', { STORAGE: 's3', S3_REGION: 'eu-west-1' }],
    ['S3_REGION', { ...S3_BASE }],
    ['S3_SECRET_ACCESS_KEY', { ...S3_BASE, S3_REGION: 'eu-west-1', S3_ACCESS_KEY_ID: 'AKIA' }],
    ['S3_ACCESS_KEY_ID', { ...S3_BASE, S3_REGION: 'eu-west-1', S3_SECRET_ACCESS_KEY: 'secret' }],
    ['S3_ENDPOINT', { ...S3_BASE, S3_ENDPOINT: 'not a url' }],
    ['S3_FORCE_PATH_STYLE', { ...S3_BASE, S3_REGION: 'eu-west-1', S3_FORCE_PATH_STYLE: 'maybe' }],
    ['S3_CHECKSUM_MODE', { ...S3_BASE, S3_REGION: 'eu-west-1', S3_CHECKSUM_MODE: 'always' }],
    ['STORAGE_IDLE_TIMEOUT_MS', { ...S3_BASE, S3_REGION: 'eu-west-1', STORAGE_IDLE_TIMEOUT_MS: '-5' }],
    ['MINIO_ENDPOINT', { ...MINIO_BASE, MINIO_ENDPOINT: '' }],
    ['MINIO_ACCESS_KEY', { ...MINIO_BASE, MINIO_ACCESS_KEY: undefined }],
    ['MINIO_SECRET_KEY', { ...MINIO_BASE, MINIO_SECRET_KEY: ' ' }],
    ['MINIO_BUCKET', { ...MINIO_BASE, MINIO_BUCKET: undefined }],
    ['MINIO_PORT', { ...MINIO_BASE, MINIO_PORT: '70000' }],
    ['MINIO_USE_SSL', { ...MINIO_BASE, MINIO_USE_SSL: 'sometimes' }],
  ])('names %s when it is missing or invalid', (variable, env) => {
    expect(() => storageConfigFromEnv(env, defaults)).toThrow(StorageConfigError);
    expect(() => storageConfigFromEnv(env, defaults)).toThrow(new RegExp(`^${variable} must`));
  });

  it.each([
    [
      'AWS S3 with the SDK provider chain, virtual-host style and flexible checksums',
      { ...S3_BASE, AWS_REGION: 'eu-central-1' },
      { ...S3_DEFAULTS, region: 'eu-central-1', forcePathStyle: false },
      'WHEN_SUPPORTED',
    ],
    [
      'an S3-compatible endpoint with path style and checksums only when required',
      { ...S3_BASE, S3_ENDPOINT: 'http://127.0.0.1:9000/', S3_ACCESS_KEY_ID: 'key', S3_SECRET_ACCESS_KEY: 'secret' },
      {
        ...S3_DEFAULTS,
        endpoint: 'http://127.0.0.1:9000',
        forcePathStyle: true,
        credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
      },
      'WHEN_REQUIRED',
    ],
    [
      'overrides of checksum mode, path style and timeouts',
      {
        ...S3_BASE,
        S3_ENDPOINT: 'https://storage.googleapis.com',
        S3_CHECKSUM_MODE: 'WHEN_SUPPORTED',
        S3_FORCE_PATH_STYLE: 'no',
        STORAGE_CONNECT_TIMEOUT_MS: '500',
        STORAGE_IDLE_TIMEOUT_MS: '30000',
        STORAGE_MAX_ATTEMPTS: '3',
      },
      {
        ...S3_DEFAULTS,
        endpoint: 'https://storage.googleapis.com',
        forcePathStyle: false,
        checksumMode: 'WHEN_SUPPORTED',
        timeouts: { connectMs: 500, idleMs: 30_000, maxAttempts: 3 },
      },
      'WHEN_SUPPORTED',
    ],
  ] as const)('configures %s', (_label, env, expected, checksumMode) => {
    const config = s3(env);
    expect(config).toEqual(expected);
    expect(effectiveChecksumMode(config)).toBe(checksumMode);
  });

  it('reads port and TLS for MinIO from an endpoint URL', () => {
    expect(
      storageConfigFromEnv({ ...MINIO_BASE, MINIO_ENDPOINT: 'https://minio.example:9443' }, defaults),
    ).toMatchObject({
      kind: 'minio',
      endPoint: 'minio.example',
      port: 9443,
      useSSL: true,
      region: 'us-east-1',
    });
  });

  it('defaults a bare MinIO host name to plain HTTP on port 9000, overridable', () => {
    expect(storageConfigFromEnv(MINIO_BASE, defaults)).toMatchObject({
      endPoint: 'minio.internal',
      port: 9000,
      useSSL: false,
    });
    expect(
      storageConfigFromEnv({ ...MINIO_BASE, MINIO_PORT: '443', MINIO_USE_SSL: 'true', MINIO_REGION: 'eu-1' }, defaults),
    ).toMatchObject({ port: 443, useSSL: true, region: 'eu-1' });
  });
});
