/**
 * Storage entry point: the adapter for a configuration, plus the types callers need.
 */
import type { StorageConfig } from './config.ts';
import { createLocalStore } from './local.ts';
import { createMinioStore } from './minio.ts';
import { createS3Store } from './s3.ts';
import type { ObjectStore } from './types.ts';

export function createObjectStore(config: StorageConfig): ObjectStore {
  switch (config.kind) {
    case 'local':
      return createLocalStore(config);
    case 's3':
      return createS3Store(config);
    case 'minio':
      return createMinioStore(config);
  }
}

export { storageConfigFromEnv, type StorageConfig } from './config.ts';
export { StorageConfigError, StorageNotFoundError, StorageUnavailableError } from './types.ts';
export type { ObjectInfo, ObjectStore, PutOptions, StorageProvider, StorageTier } from './types.ts';
