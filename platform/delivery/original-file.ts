/**
 * Hands an original to Sharp as a file, streamed out of storage: no adapter buffers the whole
 * original in memory, and libvips reads (and for JPEG, shrinks on load) straight from disk. The
 * temporary file lives only as long as `work`, whether it succeeds or fails.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '../../core/storage/types.ts';
import { tempFilePath } from '../../core/temp-files.ts';

/** Swept of crashed processes' files when a platform starts (core/temp-files.ts). */
export const ORIGINALS_TEMP_DIR = path.join(tmpdir(), 'imgplane-originals');

export async function withOriginalFile<T>(
  storage: ObjectStore,
  key: string,
  work: (filePath: string) => Promise<T>,
  tempDir = ORIGINALS_TEMP_DIR,
): Promise<T> {
  await mkdir(tempDir, { recursive: true });
  const filePath = tempFilePath(tempDir);
  try {
    await pipeline(await storage.getStream(key), createWriteStream(filePath, { flags: 'wx' }));
    return await work(filePath);
  } finally {
    await rm(filePath, { force: true });
  }
}
