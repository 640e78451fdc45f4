/**
 * Object store on a MinIO server (or any S3-compatible one) through the `minio` client, with the
 * same semantics and errors as the S3 adapter.
 *
 * - The client buffers what it sends (one part, or the whole body when it fits in a part), so the
 *   part size is kept small: memory per upload is bounded by PART_SIZE_BYTES. Bodies of unknown
 *   size are spooled to a temp file first; the client would otherwise assume 5 TiB and size its
 *   parts (and buffers) for that.
 * - The client has no timeouts of its own: requests go through a transport that destroys a
 *   request whose socket stays silent for `idleMs` (connecting included).
 * - MinIO has no per-object storage classes (its tiering is bucket lifecycle rules), so
 *   moveToTier only checks the object exists.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { Client } from 'minio';
import { DEFAULT_REMOTE_TIMEOUTS, type MinioStorageConfig } from './config.ts';
import { assertBufferMatches } from './integrity.ts';
import { assertValidStorageKey } from './keys.ts';
import { assertValidPresignTtl } from './presign-ttl.ts';
import { mapStorageErrors, withStorageErrors } from './remote-errors.ts';
import { putCheckedStream } from './remote-put.ts';
import { StorageConfigError, StorageNotFoundError } from './types.ts';
import type { ObjectInfo, ObjectStore, PutOptions, StorageTier } from './types.ts';
import { probeWrite } from './write-probe.ts';

/** S3's minimum part size; bodies up to this size go up in one PUT. */
const PART_SIZE_BYTES = 8 * 1024 * 1024;

/** http(s).request that gives up on a request whose socket is silent for `idleMs`. */
function requestWithIdleTimeout(base: typeof http | typeof https, idleMs: number): typeof http.request {
  const request = (options: http.RequestOptions, callback?: (response: http.IncomingMessage) => void) => {
    const outgoing = base.request(options, callback);
    outgoing.setTimeout(idleMs, () => {
      const error = Object.assign(new Error(`no answer from the store for ${idleMs} ms`), { code: 'ETIMEDOUT' });
      outgoing.destroy(error);
    });
    return outgoing;
  };
  // The client only calls request(options, callback), the one overload implemented here.
  return request as typeof http.request;
}

export class MinioObjectStore implements ObjectStore {
  readonly provider = 'minio' as const;
  private readonly client: Client;
  private readonly bucket: string;
  private readonly agent: http.Agent;

  constructor(config: MinioStorageConfig) {
    const timeouts = { ...DEFAULT_REMOTE_TIMEOUTS, ...config.timeouts };
    const base = config.useSSL ? https : http;
    this.bucket = config.bucket;
    this.agent = new base.Agent({ keepAlive: true });
    this.client = new Client({
      endPoint: config.endPoint,
      port: config.port,
      useSSL: config.useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: config.region,
      pathStyle: true,
      partSize: PART_SIZE_BYTES,
      transport: { request: requestWithIdleTimeout(base, timeouts.idleMs) },
      transportAgent: this.agent,
      retryOptions: {
        disableRetry: timeouts.maxAttempts <= 1,
        maximumRetryCount: timeouts.maxAttempts - 1,
        baseDelayMs: 100,
        maximumDelayMs: 1_000,
      },
    });
  }

  private call<T>(key: string | undefined, run: () => Promise<T>): Promise<T> {
    return mapStorageErrors(key === undefined ? { bucket: this.bucket } : { bucket: this.bucket, key }, run);
  }

  async put(key: string, body: Buffer | Readable, options: PutOptions): Promise<void> {
    assertValidStorageKey(key);
    const expected = { sha256: options.sha256, size: options.size };
    const metadata = { 'Content-Type': options.contentType };
    if (Buffer.isBuffer(body)) {
      assertBufferMatches(key, body, expected);
      await this.call(key, () => this.client.putObject(this.bucket, key, body, body.length, metadata));
      return;
    }
    await putCheckedStream(key, body, expected, async (payload, size) => {
      // Reading a one-part body here (the client would buffer it anyway) runs the whole
      // integrity check before the request starts; the client skips reading empty streams.
      const content = size <= PART_SIZE_BYTES ? await buffer(payload) : payload;
      await this.call(key, () => this.client.putObject(this.bucket, key, content, size, metadata));
    });
  }

  async getStream(key: string): Promise<Readable> {
    assertValidStorageKey(key);
    const body = await this.call(key, () => this.client.getObject(this.bucket, key));
    return withStorageErrors(body, { bucket: this.bucket, key });
  }

  async getBuffer(key: string): Promise<Buffer> {
    return buffer(await this.getStream(key));
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertValidStorageKey(key);
    try {
      const stat = await this.call(key, () => this.client.statObject(this.bucket, key));
      const contentType = stat.metaData['content-type'];
      return {
        size: stat.size,
        contentType: typeof contentType === 'string' ? contentType : undefined,
        lastModified: stat.lastModified,
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
    await this.call(key, () => this.client.removeObject(this.bucket, key));
  }

  async presignGet(key: string, ttlSeconds: number): Promise<string> {
    assertValidStorageKey(key);
    assertValidPresignTtl(ttlSeconds);
    return this.call(key, () => this.client.presignedGetObject(this.bucket, key, ttlSeconds));
  }

  async moveToTier(key: string, _tier: StorageTier): Promise<void> {
    if (!(await this.exists(key))) throw new StorageNotFoundError(key);
  }

  async check(): Promise<void> {
    const exists = await this.call(undefined, () => this.client.bucketExists(this.bucket));
    if (!exists) throw new StorageConfigError(`bucket ${this.bucket} does not exist`);
    await probeWrite(this);
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

export function createMinioStore(config: MinioStorageConfig): ObjectStore {
  return new MinioObjectStore(config);
}
