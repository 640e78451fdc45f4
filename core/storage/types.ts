/**
 * Object storage contract shared by every adapter (local disk, S3, MinIO). One contract test
 * suite (core/storage/contract.test.ts) runs against all of them.
 */
import type { Readable } from 'node:stream';
import { ImgplaneError } from '../errors.ts';

export type StorageProvider = 'local' | 's3' | 'minio';
export type StorageTier = 'hot' | 'warm' | 'cold';

export interface PutOptions {
  contentType: string;
  /** Hex SHA-256 of the body; adapters that can have the store verify it do so. */
  sha256?: string;
  /** Byte length, when known (lets S3 stream without buffering). */
  size?: number;
}

export interface ObjectInfo {
  size: number;
  contentType: string | undefined;
  lastModified: Date | undefined;
}

export interface ObjectStore {
  readonly provider: StorageProvider;
  /** Writes the whole object or nothing under `key` (overwrites an existing one). */
  put(key: string, body: Buffer | Readable, options: PutOptions): Promise<void>;
  /** Streams an object; throws StorageNotFoundError when missing. */
  getStream(key: string): Promise<Readable>;
  /** Reads an object into memory; throws StorageNotFoundError when missing. */
  getBuffer(key: string): Promise<Buffer>;
  /**
   * Where the object is a file on this machine (the local adapter): its path, for a reader in
   * another process that opens it itself (a transform process), so its bytes need not pass
   * through this one. Throws StorageNotFoundError when missing. Absent on remote stores.
   */
  localFile?(key: string): Promise<string>;
  /** Metadata, or null when the object does not exist. */
  head(key: string): Promise<ObjectInfo | null>;
  exists(key: string): Promise<boolean>;
  /** Removes an object; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** A time-limited URL that GETs the object directly from the store. */
  presignGet(key: string, ttlSeconds: number): Promise<string>;
  /** Moves an object to a storage tier where the backend has tiers; a no-op elsewhere. */
  moveToTier(key: string, tier: StorageTier): Promise<void>;
  /** Start-up check: bucket/folder reachable and writable; throws StorageConfigError saying why. */
  check(): Promise<void>;
  close(): Promise<void>;
}

/** The key does not exist in the store. */
export class StorageNotFoundError extends ImgplaneError {
  constructor(readonly key: string) {
    super('not_found', `object not found: ${key}`);
    this.name = 'StorageNotFoundError';
  }
}

/** The store did not answer or failed transiently; retrying later may succeed (HTTP 503). */
export class StorageUnavailableError extends ImgplaneError {
  constructor(message: string, cause?: unknown) {
    super('unavailable', `storage unavailable: ${message}`, { retryAfterSeconds: 2, cause });
    this.name = 'StorageUnavailableError';
  }
}

/** Configuration is wrong (missing bucket, bad credentials); the server refuses to start. */
export class StorageConfigError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'StorageConfigError';
  }
}
