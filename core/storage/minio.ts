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
 * - Nor does it retry a request that failed on the socket: a server closes idle keep-alive
 *   connections when it likes, and a request sent on one it has just closed fails with
 *   ECONNRESET. Such a request is sent again on a fresh connection (Node's documented remedy,
 *   `request.reusedSocket`) when its body can be sent twice; bodies that cannot (multipart
 *   uploads of streams) never go out on a pooled connection.
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

/** Codes of a request written to a connection the server had already closed. */
const CLOSED_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE']);

/** Errors of requests that failed because the pooled connection they reused was closed. */
const failedOnClosedPooledConnection = new WeakSet<object>();

/**
 * http(s).request that gives up on a request whose socket is silent for `idleMs`, and marks the
 * failures of requests sent on a pooled connection the server had closed.
 */
function requestWithIdleTimeout(base: typeof http | typeof https, idleMs: number): typeof http.request {
  const request = (options: http.RequestOptions, callback?: (response: http.IncomingMessage) => void) => {
    const outgoing = base.request(options, callback);
    outgoing.setTimeout(idleMs, () => {
      const error = Object.assign(new Error(`no answer from the store for ${idleMs} ms`), { code: 'ETIMEDOUT' });
      outgoing.destroy(error);
    });
    // Registered before the client's own listener, so the mark is there when the client rejects.
    outgoing.once('error', (error: NodeJS.ErrnoException) => {
      if (outgoing.reusedSocket && CLOSED_CONNECTION_CODES.has(error.code ?? '')) {
        failedOnClosedPooledConnection.add(error);
      }
    });
    return outgoing;
  };
  // The client only calls request(options, callback), the one overload implemented here.
  return request as typeof http.request;
}

export class MinioObjectStore implements ObjectStore {
  readonly provider = 'minio' as const;
  private readonly client: Client;
  /** For bodies that can be read once (multipart uploads of streams): a connection per request. */
  private readonly unpooledClient: Client;
  private readonly bucket: string;
  private readonly agent: http.Agent;
  private readonly unpooledAgent: http.Agent;
  private readonly resendsClosedConnections: boolean;

  constructor(config: MinioStorageConfig) {
    const timeouts = { ...DEFAULT_REMOTE_TIMEOUTS, ...config.timeouts };
    const base = config.useSSL ? https : http;
    this.bucket = config.bucket;
    this.resendsClosedConnections = timeouts.maxAttempts > 1;
    this.agent = new base.Agent({ keepAlive: true });
    const clientOn = (agent: http.Agent) =>
      new Client({
        endPoint: config.endPoint,
        port: config.port,
        useSSL: config.useSSL,
        accessKey: config.accessKey,
        secretKey: config.secretKey,
        region: config.region,
        pathStyle: true,
        partSize: PART_SIZE_BYTES,
        transport: { request: requestWithIdleTimeout(base, timeouts.idleMs) },
        transportAgent: agent,
        retryOptions: {
          disableRetry: timeouts.maxAttempts <= 1,
          maximumRetryCount: timeouts.maxAttempts - 1,
          baseDelayMs: 100,
          maximumDelayMs: 1_000,
        },
      });
    this.client = clientOn(this.agent);
    this.unpooledAgent = new base.Agent({ keepAlive: false });
    this.unpooledClient = clientOn(this.unpooledAgent);
  }

  /** Runs a request whose body (if any) can be sent again; see the module comment. */
  private call<T>(key: string | undefined, run: () => Promise<T>): Promise<T> {
    return mapStorageErrors(key === undefined ? { bucket: this.bucket } : { bucket: this.bucket, key }, async () => {
      try {
        return await run();
      } catch (error) {
        if (!this.resendsClosedConnections || !isClosedPooledConnection(error)) throw error;
        // The server closed that connection, so it has probably closed the other idle ones too
        // (a restart, an idle timeout): drop them all and send again on a new one.
        this.dropIdleConnections();
        return run();
      }
    });
  }

  private dropIdleConnections(): void {
    for (const sockets of Object.values(this.agent.freeSockets)) {
      for (const socket of sockets ?? []) socket.destroy();
    }
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
      if (size > PART_SIZE_BYTES) {
        await mapStorageErrors({ bucket: this.bucket, key }, () =>
          this.unpooledClient.putObject(this.bucket, key, payload, size, metadata),
        );
        return;
      }
      // Reading a one-part body here (the client would buffer it anyway) runs the whole
      // integrity check before the request starts, and lets the request go again; the client
      // skips reading empty streams.
      const content = await buffer(payload);
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
    this.unpooledAgent.destroy();
  }
}

function isClosedPooledConnection(error: unknown): boolean {
  return typeof error === 'object' && error !== null && failedOnClosedPooledConnection.has(error);
}

export function createMinioStore(config: MinioStorageConfig): ObjectStore {
  return new MinioObjectStore(config);
}
