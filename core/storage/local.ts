/**
 * Local-disk object store, the zero-config default.
 *
 * Layout under `dir`: `objects/<key>` holds the bytes (plain files, so operators can inspect
 * them) and `meta/<key>.json` the content type. A sidecar rather than an xattr because xattrs
 * need a native module and vanish on some copies/backups and filesystems.
 *
 * Writes are atomic: the body goes to a temp file beside the target, is fsynced and renamed over
 * the key, so a reader or a crash sees the old object or the new one, never a part. The body is
 * staged first (a failing body changes nothing), then the sidecar renamed into place, then the
 * data: data decides existence, so a crash in between leaves at worst an orphan sidecar. Concurrent writers of one key with
 * different content types may end with the last writer's data and another writer's type.
 *
 * There is no HTTP endpoint of its own: presignGet returns a `file://` URL (the lifetime is not
 * enforced), and storage tiers are a no-op.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import type { LocalStorageConfig } from './config.ts';
import { assertBufferMatches, guardBody } from './integrity.ts';
import { assertValidStorageKey } from './keys.ts';
import { assertValidPresignTtl } from './presign-ttl.ts';
import { StorageConfigError, StorageNotFoundError } from './types.ts';
import type { ObjectInfo, ObjectStore, PutOptions, StorageTier } from './types.ts';
import { probeWrite } from './write-probe.ts';

interface Sidecar {
  contentType: string;
}

/** Codes meaning "there is no file at this path" (ENOTDIR: a parent is a file; EISDIR: a folder). */
const MISSING_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && MISSING_CODES.has(String(error.code));
}

/** A unique hidden name in the target's own directory, so the final rename stays atomic. */
function tempPathBeside(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomUUID()}.partial`);
}

/** Makes a rename in `dir` durable (the directory entry itself is flushed). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A fully written temp file beside its target, waiting to be renamed over it (or discarded). */
interface StagedFile {
  commit(): Promise<void>;
  discard(): Promise<void>;
}

async function stageFile(target: string, write: (tempPath: string) => Promise<void>): Promise<StagedFile> {
  await mkdir(dirname(target), { recursive: true });
  const temp = tempPathBeside(target);
  const discard = () => rm(temp, { force: true });
  try {
    await write(temp);
  } catch (error) {
    await discard();
    throw error;
  }
  return {
    commit: async () => {
      await rename(temp, target);
      await syncDirectory(dirname(target));
    },
    discard,
  };
}

export class LocalObjectStore implements ObjectStore {
  readonly provider = 'local' as const;
  private readonly objectsDir: string;
  private readonly metaDir: string;

  constructor(private readonly config: LocalStorageConfig) {
    this.objectsDir = join(config.dir, 'objects');
    this.metaDir = join(config.dir, 'meta');
  }

  private objectPath(key: string): string {
    assertValidStorageKey(key);
    return join(this.objectsDir, key);
  }

  private sidecarPath(key: string): string {
    return join(this.metaDir, `${key}.json`);
  }

  async put(key: string, body: Buffer | Readable, options: PutOptions): Promise<void> {
    const target = this.objectPath(key);
    const expected = { sha256: options.sha256, size: options.size };
    const sidecar: Sidecar = { contentType: options.contentType };
    let writeBody: (tempPath: string) => Promise<void>;
    if (Buffer.isBuffer(body)) {
      assertBufferMatches(key, body, expected);
      writeBody = (tempPath) => writeFile(tempPath, body, { flag: 'wx', flush: true });
    } else {
      const guard = guardBody(key, expected);
      writeBody = (tempPath) => pipeline(body, guard.stream, createWriteStream(tempPath, { flags: 'wx', flush: true }));
    }
    // The body is staged first: a body that fails (stream error, checksum) changes nothing.
    const data = await stageFile(target, writeBody);
    try {
      const meta = await stageFile(this.sidecarPath(key), (tempPath) =>
        writeFile(tempPath, JSON.stringify(sidecar), { flag: 'wx', flush: true }),
      );
      await meta.commit();
      await data.commit();
    } catch (error) {
      await data.discard();
      throw error;
    }
  }

  async getStream(key: string): Promise<Readable> {
    // Opening first turns a missing key into StorageNotFoundError before any stream exists, and
    // pins the inode: a concurrent overwrite (rename) cannot change what this reader sees.
    const handle = await this.openObject(key);
    return handle.createReadStream();
  }

  async getBuffer(key: string): Promise<Buffer> {
    const handle = await this.openObject(key);
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  async localFile(key: string): Promise<string> {
    await (await this.openObject(key)).close();
    return this.objectPath(key);
  }

  private async openObject(key: string) {
    const path = this.objectPath(key);
    const handle = await open(path, 'r').catch((error: unknown) => {
      throw isMissing(error) ? new StorageNotFoundError(key) : error;
    });
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw new StorageNotFoundError(key);
    }
    return handle;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    let handle;
    try {
      handle = await this.openObject(key);
    } catch (error) {
      if (error instanceof StorageNotFoundError) return null;
      throw error;
    }
    try {
      const stats = await handle.stat();
      return { size: stats.size, contentType: await this.readContentType(key), lastModified: stats.mtime };
    } finally {
      await handle.close();
    }
  }

  private async readContentType(key: string): Promise<string | undefined> {
    try {
      const sidecar = JSON.parse(await readFile(this.sidecarPath(key), 'utf8')) as Partial<Sidecar>;
      return typeof sidecar.contentType === 'string' ? sidecar.contentType : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    for (const path of [this.objectPath(key), this.sidecarPath(key)]) {
      await unlink(path).catch((error: unknown) => {
        if (!isMissing(error)) throw error;
      });
    }
  }

  async presignGet(key: string, ttlSeconds: number): Promise<string> {
    assertValidPresignTtl(ttlSeconds);
    return pathToFileURL(this.objectPath(key)).href;
  }

  async moveToTier(key: string, _tier: StorageTier): Promise<void> {
    if (!(await this.exists(key))) throw new StorageNotFoundError(key);
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.objectsDir, { recursive: true });
      await mkdir(this.metaDir, { recursive: true });
      await probeWrite(this);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new StorageConfigError(`storage directory ${this.config.dir} is not writable: ${reason}`, error);
    }
  }

  async close(): Promise<void> {}
}

export function createLocalStore(config: LocalStorageConfig): ObjectStore {
  return new LocalObjectStore(config);
}
