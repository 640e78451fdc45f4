/**
 * An S3-compatible endpoint for tests: s3rver on 127.0.0.1 (ephemeral port, temp directory), or
 * the external endpoint named by S3_TEST_ENDPOINT (with S3_TEST_ACCESS_KEY, S3_TEST_SECRET_KEY,
 * S3_TEST_BUCKET, optional S3_TEST_REGION).
 *
 * Either way the tests talk to it through a TCP proxy on its own port, so a test can make the
 * store die mid-test (`stop`: live connections cut, new ones dropped) and bring it back
 * (`restart`) — also for an external server we cannot stop.
 *
 * s3rver 3.7 is patched where it differs from S3 in ways the contract tests rely on:
 * - PUT is atomic (temp file + rename, nothing stored when the request body is cut short); stock
 *   s3rver streams into the live object file, so concurrent PUTs interleave.
 * - `Content-Encoding: aws-chunked` bodies (the SDK's default checksum mode for streams) are
 *   decoded, as S3 does; stock s3rver stores the chunk framing inside the object.
 * - GLACIER_IR is a valid storage class (it postdates s3rver).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3StorageConfig } from '../../core/storage/config.ts';
import { startTcpProxy } from './tcp-proxy.ts';

export interface S3TestServer {
  /** `http://127.0.0.1:<port>` of the proxy in front of the server. */
  endpoint: string;
  port: number;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Cuts open connections and drops new ones, like a server that died. */
  stop(): void;
  /** Serves again on the same port after `stop`. */
  restart(): void;
  /** Closes every live connection while still serving, as a server's keep-alive idle timeout does. */
  dropConnections(): void;
  /**
   * Bytes the server has so far written for the latest PUT of `key` (s3rver only; undefined for
   * an external endpoint): lets a test see an upload arrive while it is still being produced.
   */
  receivedBytes(key: string): number | undefined;
  /** Tears everything down (proxy, s3rver, its temp directory). */
  close(): Promise<void>;
}

const S3RVER_CREDENTIAL = 'S3RVER';

export async function startS3Server(): Promise<S3TestServer> {
  const backend = process.env.S3_TEST_ENDPOINT ? externalBackend(process.env.S3_TEST_ENDPOINT) : await startS3rver();
  const proxy = await startTcpProxy(backend.port, backend.host);
  return {
    endpoint: `http://127.0.0.1:${proxy.port}`,
    port: proxy.port,
    bucket: backend.bucket,
    region: backend.region,
    credentials: backend.credentials,
    receivedBytes: (key) => backend.receivedBytes?.get(key),
    stop: () => proxy.cut(),
    restart: () => proxy.restore(),
    dropConnections: () => proxy.dropConnections(),
    close: async () => {
      await proxy.close();
      await backend.close();
    },
  };
}

interface Backend {
  host: string;
  port: number;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  receivedBytes?: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

function externalBackend(endpoint: string): Backend {
  const url = new URL(endpoint);
  // The proxy passes bytes through and the stores reach it as http://127.0.0.1:<port>.
  if (url.protocol !== 'http:') throw new Error('S3_TEST_ENDPOINT must be a plain http:// URL (e.g. a local MinIO)');
  const required = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`S3_TEST_ENDPOINT is set, so ${name} must be set too`);
    return value;
  };
  return {
    host: url.hostname,
    port: Number(url.port || 80),
    bucket: required('S3_TEST_BUCKET'),
    region: process.env.S3_TEST_REGION ?? 'us-east-1',
    credentials: { accessKeyId: required('S3_TEST_ACCESS_KEY'), secretAccessKey: required('S3_TEST_SECRET_KEY') },
    close: async () => {},
  };
}

// ---- s3rver ------------------------------------------------------------------------------------

/** The parts of s3rver 3.7 (untyped CommonJS) used here. */
interface S3rverObject {
  bucket: string;
  key: string;
  content: Readable | Buffer;
  metadata: Record<string, string>;
}
interface S3rverStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
}
interface S3rverInstance {
  store: S3rverStore;
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

const requireCjs = createRequire(import.meta.url);

async function startS3rver(): Promise<Backend> {
  const S3rver = requireCjs('s3rver') as S3rverConstructor;
  const storageClasses = (requireCjs('s3rver/lib/models/object') as { STORAGE_CLASSES: string[] }).STORAGE_CLASSES;
  if (!storageClasses.includes('GLACIER_IR')) storageClasses.push('GLACIER_IR');

  const directory = await mkdtemp(join(tmpdir(), 'imgplane-s3rver-'));
  const bucket = 'imgplane-test';
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const receivedBytes = new Map<string, number>();
  makePutsAtomic(server.store, receivedBytes);
  const { port } = await server.run();
  return {
    host: '127.0.0.1',
    port,
    bucket,
    region: 'us-east-1',
    credentials: { accessKeyId: S3RVER_CREDENTIAL, secretAccessKey: S3RVER_CREDENTIAL },
    receivedBytes,
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function makePutsAtomic(store: S3rverStore, receivedBytes: Map<string, number>): void {
  store.putObject = async (object) => {
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const partial = `${objectPath}.${randomUUID()}.partial`;
    const md5 = createHash('md5');
    let size = 0;
    const source: Readable = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    const chunked = stripAwsChunkedEncoding(object.metadata);
    try {
      await pipeline(
        chunked ? decodeAwsChunked(source) : source,
        async function* measure(body: AsyncIterable<Buffer>) {
          for await (const piece of body) {
            md5.update(piece);
            size += piece.length;
            receivedBytes.set(object.key, size);
            yield piece;
          }
        },
        createWriteStream(partial),
      );
      await rename(partial, objectPath);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    const digest = md5.digest('hex');
    await store.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };
}

/** Removes `aws-chunked` from the stored Content-Encoding (S3 does too); true when it was there. */
function stripAwsChunkedEncoding(metadata: Record<string, string>): boolean {
  const encodings = (metadata['content-encoding'] ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const rest = encodings.filter((encoding) => encoding !== 'aws-chunked');
  if (rest.length === encodings.length) return false;
  if (rest.length === 0) delete metadata['content-encoding'];
  else metadata['content-encoding'] = rest.join(',');
  return true;
}

/**
 * Decodes the aws-chunked framing: `<hex size>[;chunk-signature=…]\r\n<data>\r\n` repeated, a
 * zero-size chunk, then trailer lines (checksums), which are read and ignored.
 */
async function* decodeAwsChunked(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  let state: 'size' | 'data' | 'crlf' | 'trailer' = 'size';
  let remaining = 0;
  // Keep reading after the last chunk: returning early would destroy the request socket.
  for await (const piece of source) {
    pending = pending.length === 0 ? piece : Buffer.concat([pending, piece]);
    for (;;) {
      if (state === 'data') {
        if (pending.length === 0) break;
        const take = Math.min(remaining, pending.length);
        yield pending.subarray(0, take);
        pending = pending.subarray(take);
        remaining -= take;
        if (remaining === 0) state = 'crlf';
      } else if (state === 'crlf') {
        if (pending.length < 2) break;
        pending = pending.subarray(2);
        state = 'size';
      } else if (state === 'size') {
        const lineEnd = pending.indexOf('\r\n');
        if (lineEnd < 0) break;
        remaining = Number.parseInt(pending.subarray(0, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
        if (Number.isNaN(remaining)) throw new Error('malformed aws-chunked body');
        pending = pending.subarray(lineEnd + 2);
        state = remaining === 0 ? 'trailer' : 'data';
      } else {
        pending = Buffer.alloc(0);
        break;
      }
    }
  }
}

/** The S3 adapter configuration for `server`; spread it to change what a test needs. */
export function s3ConfigFor(server: S3TestServer): S3StorageConfig {
  return {
    kind: 's3',
    bucket: server.bucket,
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: server.credentials,
  };
}
