/**
 * Hands an original to Sharp as a file, streamed out of storage: no adapter buffers the whole
 * original in memory, and libvips reads (and for JPEG, shrinks on load) straight from disk. The
 * temporary file lives only as long as `work`, whether it succeeds or fails.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '../../core/storage/types.ts';

const ORIGINALS_TEMP_DIR = path.join(tmpdir(), 'imgplane-originals');

export async function withOriginalFile<T>(
  storage: ObjectStore,
  key: string,
  work: (filePath: string) => Promise<T>,
  tempDir = ORIGINALS_TEMP_DIR,
): Promise<T> {
  await mkdir(tempDir, { recursive: true });
  const filePath = path.join(tempDir, randomUUID());
  try {
    await pipeline(await storage.getStream(key), createWriteStream(filePath, { flags: 'wx' }));
    return await work(filePath);
  } finally {
    await rm(filePath, { force: true });
  }
}
