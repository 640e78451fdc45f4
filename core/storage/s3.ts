/**
 * Object store on Amazon S3 or an S3-compatible service (GCS interoperability, Ceph, MinIO …)
 * through @aws-sdk/client-s3.
 *
 * - Bodies of known size stream straight into PutObject; unknown sizes are spooled to a temp file
 *   first (S3 needs Content-Length), so memory stays flat either way.
 * - The SHA-256 is checked client-side for every put (see integrity.ts) and, in WHEN_SUPPORTED
 *   checksum mode (AWS), also sent as ChecksumSHA256 so S3 verifies it on arrival. With a custom
 *   endpoint the SDK's flexible checksums are off by default (WHEN_REQUIRED): many compatible
 *   servers would store the aws-chunked framing of a streamed body inside the object.
 * - Connection timeout, socket idle timeout and a small attempt budget bound every call, so a
 *   stopped or hung server surfaces as StorageUnavailableError within seconds.
 * - The SDK sends a request again when it failed on a pooled connection the server had just
 *   closed (ECONNRESET), but it cannot send a stream twice: streamed puts use a connection of
 *   their own, never a pooled one.
 */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { DEFAULT_REMOTE_TIMEOUTS, effectiveChecksumMode, type S3ChecksumMode, type S3StorageConfig } from './config.ts';
import { assertBufferMatches, sha256HexToBase64 } from './integrity.ts';
import { assertValidStorageKey } from './keys.ts';
import { assertValidPresignTtl } from './presign-ttl.ts';
import { mapStorageErrors, withStorageErrors } from './remote-errors.ts';
import { putCheckedStream } from './remote-put.ts';
import { StorageNotFoundError } from './types.ts';
import type { ObjectInfo, ObjectStore, PutOptions, StorageTier } from './types.ts';
import { probeWrite } from './write-probe.ts';

/** S3 storage classes for our tiers: Glacier Instant Retrieval keeps millisecond reads for cold. */
export const S3_STORAGE_CLASS_BY_TIER: Readonly<Record<StorageTier, StorageClass>> = Object.freeze({
  hot: 'STANDARD',
  warm: 'STANDARD_IA',
  cold: 'GLACIER_IR',
});

/**
 * The SDK logs every failed command (`error`) and warns for every failed streaming PUT; those
 * failures reach the caller as typed errors, so only other warnings (socket exhaustion …) pass.
 */
const sdkLogger = {
  debug: () => {},
  info: () => {},
  error: () => {},
  warn: (message: unknown, ...rest: unknown[]) => {
    if (!String(message).includes('non-retryable streaming request')) console.warn(message, ...rest);
  },
};

/** `bucket/key` for CopySource, each key segment URL-encoded as S3 requires. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

export class S3ObjectStore implements ObjectStore {
  readonly provider = 's3' as const;
  private readonly client: S3Client;
  /** Without keep-alive, for bodies that can be read once (see the module comment). */
  private readonly streamingClient: S3Client;
  private readonly bucket: string;
  private readonly checksumMode: S3ChecksumMode;

  constructor(config: S3StorageConfig) {
    const timeouts = { ...DEFAULT_REMOTE_TIMEOUTS, ...config.timeouts };
    this.bucket = config.bucket;
    this.checksumMode = effectiveChecksumMode(config);
    const clientWith = (keepAlive: boolean) =>
      new S3Client({
        region: config.region,
        ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
        forcePathStyle: config.forcePathStyle,
        ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
        requestChecksumCalculation: this.checksumMode,
        responseChecksumValidation: this.checksumMode,
        maxAttempts: timeouts.maxAttempts,
        logger: sdkLogger,
        requestHandler: {
          connectionTimeout: timeouts.connectMs,
          // socketTimeout is an inactivity limit: long transfers that keep moving are fine.
          socketTimeout: timeouts.idleMs,
          httpAgent: { keepAlive },
          httpsAgent: { keepAlive },
        },
      });
    this.client = clientWith(true);
    this.streamingClient = clientWith(false);
  }

  private call<T>(key: string | undefined, run: () => Promise<T>): Promise<T> {
    return mapStorageErrors(key === undefined ? { bucket: this.bucket } : { bucket: this.bucket, key }, run);
  }

  async put(key: string, body: Buffer | Readable, options: PutOptions): Promise<void> {
    assertValidStorageKey(key);
    const expected = { sha256: options.sha256, size: options.size };
    const send = (payload: Buffer | Readable, size: number, abortSignal?: AbortSignal) =>
      (Buffer.isBuffer(payload) ? this.client : this.streamingClient).send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: payload,
          ContentLength: size,
          ContentType: options.contentType,
          ...(options.sha256 !== undefined && this.checksumMode === 'WHEN_SUPPORTED'
            ? { ChecksumSHA256: sha256HexToBase64(options.sha256) }
            : {}),
        }),
        { abortSignal },
      );
    if (Buffer.isBuffer(body)) {
      assertBufferMatches(key, body, expected);
      await this.call(key, () => send(body, body.length));
      return;
    }
    await putCheckedStream(key, body, expected, (payload, size, abort) =>
      this.call(key, () => send(payload, size, abort)),
    );
  }

  async getStream(key: string): Promise<Readable> {
    assertValidStorageKey(key);
    const response = await this.call(key, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
    );
    if (!(response.Body instanceof Readable)) throw new Error('S3 GetObject returned no Node.js stream body');
    return withStorageErrors(response.Body, { bucket: this.bucket, key });
  }

  async getBuffer(key: string): Promise<Buffer> {
    return buffer(await this.getStream(key));
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertValidStorageKey(key);
    try {
      const response = await this.call(key, () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })),
      );
      return {
        size: response.ContentLength ?? 0,
        contentType: response.ContentType,
        lastModified: response.LastModified,
      };
    } catch (error) {
      if (error instanceof StorageNotFoundError) return null;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    assertValidStorageKey(key);
    await this.call(key, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  async presignGet(key: string, ttlSeconds: number): Promise<string> {
    assertValidStorageKey(key);
    assertValidPresignTtl(ttlSeconds);
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: ttlSeconds,
    });
  }

  /**
   * Rewrites the object onto itself with the tier's storage class. S3 only allows a self-copy that
   * changes something, and REPLACE drops the metadata, so the current type and metadata are copied
   * along. CopyObject handles objects up to 5 GB, far above any original we accept.
   */
  async moveToTier(key: string, tier: StorageTier): Promise<void> {
    assertValidStorageKey(key);
    const storageClass = S3_STORAGE_CLASS_BY_TIER[tier];
    const current = await this.call(key, () =>
      this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })),
    );
    if ((current.StorageClass ?? 'STANDARD') === storageClass) return;
    await this.call(key, () =>
      this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: key,
          CopySource: copySource(this.bucket, key),
          StorageClass: storageClass,
          MetadataDirective: 'REPLACE',
          ContentType: current.ContentType,
          Metadata: current.Metadata,
        }),
      ),
    );
  }

  async check(): Promise<void> {
    await this.call(undefined, () => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
    await probeWrite(this);
  }

  async close(): Promise<void> {
    this.client.destroy();
    this.streamingClient.destroy();
  }
}

export function createS3Store(config: S3StorageConfig): ObjectStore {
  return new S3ObjectStore(config);
}
